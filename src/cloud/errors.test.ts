import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, ServerError, ThrottlingError } from '@alicloud/openapi-core';
import { CLOUD_REASONS, CloudError, ECS_ERROR_CODES, classify, isCloudError, redact } from './errors.ts';
import { LOCAL_ERROR_CODES } from './error-codes.ts';
import type { CloudReason, RetryClass } from './errors.ts';

// What each code must mean, written out independently of the table so that an edit to the table
// that changes behaviour fails here.
const EXPECTED: Record<string, [RetryClass, CloudReason]> = {
  'InvalidEniId.NotFound': ['notFound', 'EniNotFound'],
  'InvalidEcsId.NotFound': ['notFound', 'InstanceNotFound'],
  'InvalidInstanceId.NotFound': ['notFound', 'InstanceNotFound'],
  'InvalidVSwitchId.NotFound': ['permanent', 'VSwitchNotFound'],
  'InvalidSecurityGroupId.NotFound': ['permanent', 'SecurityGroupNotFound'],
  'InvalidRegionId.NotFound': ['permanent', 'InvalidParameter'],
  'InvalidResourceId.NotFound': ['notFound', 'EniNotFound'],
  'InvalidResourceType.NotFound': ['permanent', 'InvalidParameter'],
  'InvalidOperation.InvalidEniState': ['conflict', 'InvalidEniState'],
  'InvalidOperation.InvalidEcsState': ['permanent', 'InstanceMustBeStopped'],
  IncorrectInstanceStatus: ['permanent', 'InstanceMustBeStopped'],
  'InvalidOperation.DetachPrimaryEniNotAllowed': ['permanent', 'InvalidParameter'],
  EniPerInstanceLimitExceeded: ['permanent', 'InstanceENIQuotaExceeded'],
  MaxEniCountExceeded: ['permanent', 'AccountENIQuotaExceeded'],
  'InvalidOperation.Ipv4CountExceeded': ['permanent', 'PrivateIpQuotaExceeded'],
  'QuotaExceeded.PrivateIpAddress': ['permanent', 'PrivateIpQuotaExceeded'],
  'InvalidVSwitchId.IpNotEnough': ['permanent', 'VSwitchIpExhausted'],
  SecurityGroupInstanceLimitExceed: ['permanent', 'SecurityGroupQuotaExceeded'],
  'QuotaExceed.Tags': ['permanent', 'InvalidParameter'],
  'OperationDenied.QuotaExceed': ['permanent', 'InvalidParameter'],
  'InvalidOperation.AvailabilityZoneMismatch': ['permanent', 'ZoneMismatch'],
  'InvalidOperation.VpcMismatch': ['permanent', 'VpcMismatch'],
  'Operation.Conflict': ['conflict', 'OperationConflict'],
  OperationConflict: ['conflict', 'OperationConflict'],
  IdempotentProcessing: ['conflict', 'OperationConflict'],
  IdempotentParameterMismatch: ['permanent', 'IdempotencyConflict'],
  Throttling: ['throttled', 'Throttled'],
  'Throttling.User': ['throttled', 'Throttled'],
  'Throttling.Api': ['throttled', 'Throttled'],
  MissingParameter: ['permanent', 'InvalidParameter'],
  InvalidParameter: ['permanent', 'InvalidParameter'],
  'InvalidTagKey.Malformed': ['permanent', 'InvalidParameter'],
  'InvalidPrivateIpAddress.Duplicated': ['permanent', 'InvalidParameter'],
  'InvalidIp.IpUnassigned': ['permanent', 'InvalidParameter'],
  'Forbidden.RAM': ['auth', 'CloudAuthFailed'],
  Forbidden: ['auth', 'CloudAuthFailed'],
  SignatureDoesNotMatch: ['auth', 'CloudAuthFailed'],
  IncompleteSignature: ['auth', 'CloudAuthFailed'],
  'InvalidAccessKeyId.NotFound': ['auth', 'CloudAuthFailed'],
  'InvalidAccessKeyId.Inactive': ['auth', 'CloudAuthFailed'],
  'InvalidSecurityToken.Expired': ['auth', 'CloudAuthFailed'],
  'InvalidSecurityToken.Malformed': ['auth', 'CloudAuthFailed'],
  'InvalidSecurityToken.MismatchWithAccessKey': ['auth', 'CloudAuthFailed'],
  InvalidCredentials: ['auth', 'CloudAuthFailed'],
  'InvalidTimeStamp.Expired': ['auth', 'CloudAuthFailed'],
  SignatureNonceUsed: ['transient', 'CloudUnavailable'],
  InternalError: ['transient', 'CloudUnavailable'],
  ServiceUnavailable: ['transient', 'CloudUnavailable'],
};

// Every code that ../shared/reference/ecs-api.md lists must be in the table.
const DOCUMENTED = [
  'InvalidEniId.NotFound', 'InvalidEcsId.NotFound', 'InvalidInstanceId.NotFound', 'InvalidVSwitchId.NotFound',
  'InvalidSecurityGroupId.NotFound', 'InvalidOperation.InvalidEniState', 'InvalidOperation.InvalidEcsState',
  'IncorrectInstanceStatus', 'InvalidOperation.DetachPrimaryEniNotAllowed', 'EniPerInstanceLimitExceeded',
  'MaxEniCountExceeded', 'InvalidOperation.Ipv4CountExceeded', 'InvalidVSwitchId.IpNotEnough',
  'QuotaExceeded.PrivateIpAddress', 'SecurityGroupInstanceLimitExceed', 'QuotaExceed.Tags',
  'InvalidOperation.AvailabilityZoneMismatch', 'InvalidOperation.VpcMismatch', 'Operation.Conflict', 'OperationConflict',
  'IdempotentParameterMismatch', 'IdempotentProcessing', 'Throttling', 'Throttling.User', 'Throttling.Api',
  'MissingParameter', 'InvalidParameter', 'Forbidden.RAM', 'SignatureDoesNotMatch', 'IncompleteSignature',
  'SignatureNonceUsed', 'InvalidAccessKeyId.NotFound', 'InternalError', 'ServiceUnavailable',
];

/** The error the SDK would throw for an ECS error answer (openapi-core's doRequest). */
function sdkError(code: string, statusCode: number, extra: Record<string, unknown> = {}): Error {
  const map = {
    statusCode,
    code,
    message: `code: ${statusCode}, Something about ${code} request id: REQ-1`,
    data: { Code: code, Message: `Something about ${code}`, RequestId: 'REQ-1' },
    requestId: 'REQ-1',
    ...extra,
  };
  if (code.includes('Throttling')) return new ThrottlingError(map);
  return statusCode < 500 ? new ClientError(map) : new ServerError(map);
}

test('the table and the expectations list the same codes, and every documented code is in the table', () => {
  assert.deepEqual(Object.keys(ECS_ERROR_CODES).sort(), Object.keys(EXPECTED).sort());
  for (const code of DOCUMENTED) assert.ok(ECS_ERROR_CODES[code], `${code} is documented but not classified`);
});

test('every code in the table classifies as intended, through the SDK error it arrives in', () => {
  for (const [code, [retryClass, reason]] of Object.entries(EXPECTED)) {
    const status = ECS_ERROR_CODES[code]?.status ?? 0;
    const err = classify(sdkError(code, status), 'AttachNetworkInterface');
    assert.equal(err.code, code);
    assert.equal(err.retryClass, retryClass, code);
    assert.equal(err.reason, reason, code);
    assert.equal(err.statusCode, status);
    assert.equal(err.requestId, 'REQ-1');
    assert.equal(err.action, 'AttachNetworkInterface');
    assert.equal(err.message, `AttachNetworkInterface: ${code}: Something about ${code}`);
  }
});

test('every reason can be produced by some code', () => {
  const produced = new Set([...Object.values(ECS_ERROR_CODES), ...Object.values(LOCAL_ERROR_CODES)].map((r) => r.reason));
  produced.add('CloudError'); // the fallback for unknown codes
  assert.deepEqual([...produced].sort(), [...CLOUD_REASONS].sort());
});

test('unknown codes: 5xx is transient, 4xx permanent, anything with Throttling is throttled', () => {
  const server = classify(sdkError('SomethingBroke', 502), 'DeleteNetworkInterface');
  assert.deepEqual([server.retryClass, server.reason, server.statusCode], ['transient', 'CloudUnavailable', 502]);
  const client = classify(sdkError('InvalidFoo.Bar', 400), 'DeleteNetworkInterface');
  assert.deepEqual([client.retryClass, client.reason], ['permanent', 'CloudError']);
  const forbidden = classify(sdkError('SomethingElse', 403), 'DeleteNetworkInterface');
  assert.equal(forbidden.retryClass, 'permanent');
  const throttled = classify(sdkError('Throttling.Resource', 429), 'DeleteNetworkInterface');
  assert.deepEqual([throttled.retryClass, throttled.reason], ['throttled', 'Throttled']);
});

test('retryAfterMs comes from the ThrottlingError (x-acs-retry-after), else stays undefined', () => {
  assert.equal(classify(sdkError('Throttling.User', 400, { retryAfter: 1500 }), 'X').retryAfterMs, 1500);
  assert.equal(classify(sdkError('Throttling.User', 400), 'X').retryAfterMs, undefined);
  assert.equal(classify(sdkError('InternalError', 500), 'X').retryAfterMs, undefined);
});

test('a request id the SDK stringified from nothing is dropped', () => {
  const err = classify(sdkError('InternalError', 500, { requestId: 'undefined' }), 'X');
  assert.equal(err.requestId, undefined);
});

test('socket failures are transient NetworkErrors; timeouts are transient Timeouts', () => {
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  assert.deepEqual(pick(classify(reset, 'CreateNetworkInterface')), ['NetworkError', 'transient', 'CloudUnavailable']);
  const hangUp = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  assert.deepEqual(pick(classify(hangUp, 'X')), ['NetworkError', 'transient', 'CloudUnavailable']);
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  assert.deepEqual(pick(classify(refused, 'X')), ['NetworkError', 'transient', 'CloudUnavailable']);
  const httpxTimeout = Object.assign(new Error('ReadTimeout(3000). POST http://h/ failed.'), { name: 'RequestTimeoutError' });
  assert.deepEqual(pick(classify(httpxTimeout, 'X')), ['Timeout', 'transient', 'CloudUnavailable']);
  assert.deepEqual(pick(classify(new DOMException('signal timed out', 'TimeoutError'), 'X')), ['Timeout', 'transient', 'CloudUnavailable']);
});

test('an empty credential chain is an auth failure; anything else unknown is transient', () => {
  const chain = new Error('unable to get credentials from any of the providers in the chain: nope');
  assert.deepEqual(pick(classify(chain, 'X')), ['CredentialsUnavailable', 'auth', 'CloudAuthFailed']);
  assert.deepEqual(pick(classify(new SyntaxError('Unexpected token <'), 'X')), ['UnknownError', 'transient', 'CloudError']);
  assert.deepEqual(pick(classify('a string', 'X')), ['UnknownError', 'transient', 'CloudError']);
});

test('a CloudError passes through unchanged, and isCloudError checks the reason', () => {
  const original = classify(sdkError('InvalidVSwitchId.NotFound', 404), 'CreateNetworkInterface');
  assert.equal(classify(original, 'Other'), original);
  assert.ok(original instanceof CloudError && original instanceof Error);
  assert.ok(isCloudError(original, 'VSwitchNotFound'));
  assert.ok(!isCloudError(original, 'EniNotFound'));
  assert.ok(!isCloudError(new Error('x')));
});

test('messages never carry the URL query (access key id, signature) of a failed request', () => {
  const url = 'https://ecs.aliyuncs.com/?AccessKeyId=LTAI5tSECRETID&Signature=abc%3D&Action=X';
  const err = Object.assign(new Error(`socket hang up POST ${url} failed.`), { code: 'ECONNRESET' });
  const message = classify(err, 'X').message;
  assert.doesNotMatch(message, /LTAI5tSECRETID|abc%3D/);
  assert.match(message, /https:\/\/ecs\.aliyuncs\.com\/\?\[redacted\]/);
  assert.equal(redact('Credential=AKID,SignedHeaders=host'), 'Credential=[redacted],SignedHeaders=host');
});

function pick(err: CloudError): [string, string, string] {
  return [err.code, err.retryClass, err.reason];
}
