import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import querystring from 'node:querystring';
import { OpenApiUtil } from '@alicloud/openapi-core';
import {
  acsEncode,
  authorizationHeader,
  canonicalQuery,
  parseAuthorization,
  parseQuery,
  sha256Hex,
  signature,
  signaturesEqual,
} from './signature.ts';

const EMPTY_SHA = sha256Hex('');

function sdkHeaders(action: string): Record<string, string> {
  return {
    host: '127.0.0.1:18081',
    'x-acs-version': '2014-05-26',
    'x-acs-action': action,
    'user-agent': 'AlibabaCloud test',
    'x-acs-date': '2025-01-02T03:04:05Z',
    'x-acs-signature-nonce': 'f00d',
    accept: 'application/json',
    'x-acs-content-sha256': EMPTY_SHA,
  };
}

// Values that the URL and the signature encode differently, or not at all.
const awkwardQueries: Record<string, string>[] = [
  { RegionId: 'cn-hangzhou', VSwitchId: 'vsw-a', 'SecurityGroupIds.1': 'sg-a', 'SecurityGroupIds.2': 'sg-b' },
  { ClientToken: "tok!*()'~-_.", Description: 'a b+c/d?e&f=g', 'Tag.1.Key': 'ecseni.io/claim-uid', 'Tag.1.Value': 'ü ☃ 中' },
  { InstanceIds: '["i-a","i-b"]', Empty: '', Percent: '100%' },
];

describe('ACS3-HMAC-SHA256 matches @alicloud/openapi-core byte for byte', () => {
  for (const [i, query] of awkwardQueries.entries()) {
    it(`signs query ${i} as the SDK does, after the URL round trip`, () => {
      const headers = sdkHeaders('CreateNetworkInterface');
      const sdkAuth = OpenApiUtil.getAuthorization(
        { pathname: '/', method: 'POST', query, headers } as never,
        'ACS3-HMAC-SHA256',
        EMPTY_SHA,
        'AKID',
        'SECRET',
      );
      // What the server sees: the SDK's transport serialises the query with querystring.stringify.
      const decoded = parseQuery(querystring.stringify(query));
      assert.deepEqual(decoded, query);
      const parsed = parseAuthorization(sdkAuth);
      assert.ok(parsed);
      const ours = signature('SECRET', { method: 'POST', path: '/', query: decoded, headers, signedHeaders: parsed.signedHeaders, payloadSha256Hex: EMPTY_SHA });
      assert.equal(ours, parsed.signature);
      assert.equal(authorizationHeader('AKID', 'SECRET', { method: 'POST', path: '/', query, headers, payloadSha256Hex: EMPTY_SHA }), sdkAuth);
    });
  }

  it('differs for another secret, another value or another signed header value', () => {
    const headers = sdkHeaders('DescribeNetworkInterfaces');
    const request = { method: 'POST', path: '/', query: { A: '1' }, headers, payloadSha256Hex: EMPTY_SHA };
    const base = authorizationHeader('AK', 'S1', request);
    assert.notEqual(authorizationHeader('AK', 'S2', request), base);
    assert.notEqual(authorizationHeader('AK', 'S1', { ...request, query: { A: '2' } }), base);
    assert.notEqual(authorizationHeader('AK', 'S1', { ...request, headers: { ...headers, 'x-acs-action': 'Other' } }), base);
    assert.equal(authorizationHeader('AK', 'S1', { ...request, headers: { ...headers, 'user-agent': 'unsigned' } }), base);
  });
});

describe('query parsing', () => {
  it('decodes + as a space, keeps the first of repeated keys, and rejects bad escapes', () => {
    assert.deepEqual(parseQuery('a=x+y&b=%2B&a=2&c'), { a: 'x y', b: '+', c: '' });
    assert.equal(parseQuery('a=%E0%A4%A'), undefined);
  });

  it('canonicalises sorted, with values encoded and keys as they are', () => {
    assert.equal(canonicalQuery({ b: "it's (x)", a: '*' }), 'a=%2A&b=it%27s%20%28x%29');
    assert.equal(acsEncode("!'()*~"), '%21%27%28%29%2A~');
  });
});

describe('Authorization header', () => {
  it('parses the three fields and lower-cases signed header names', () => {
    const sig = 'a'.repeat(64);
    assert.deepEqual(parseAuthorization(`ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=Host;x-acs-date,Signature=${sig}`), {
      accessKeyId: 'AK',
      signedHeaders: ['host', 'x-acs-date'],
      signature: sig,
    });
  });

  it('rejects other algorithms, missing fields and non-hex signatures', () => {
    assert.equal(parseAuthorization(undefined), undefined);
    assert.equal(parseAuthorization('ACS3-HMAC-SM3 Credential=AK,SignedHeaders=host,Signature=' + 'a'.repeat(64)), undefined);
    assert.equal(parseAuthorization('ACS3-HMAC-SHA256 Credential=AK,Signature=' + 'a'.repeat(64)), undefined);
    assert.equal(parseAuthorization('ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host,Signature=xyz'), undefined);
  });

  it('compares signatures in constant time and by value', () => {
    assert.equal(signaturesEqual('ab'.repeat(32), 'ab'.repeat(32)), true);
    assert.equal(signaturesEqual('ab'.repeat(32), 'ac'.repeat(32)), false);
    assert.equal(signaturesEqual('ab', 'ab'.repeat(32)), false);
  });
});
