// ACS3-HMAC-SHA256, as @alicloud/openapi-core 1.0.x computes it (dist/utils.js, getAuthorization):
//   CanonicalRequest = METHOD \n PATH \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n hex(sha256(body))
//   CanonicalQuery   = keys sorted, `key=encode(value)` joined by &   (the key itself is not encoded)
//   CanonicalHeaders = `name:trimmed value\n` for each signed header, in the signed order
//   Signature        = hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex(sha256(CanonicalRequest))))
// The URL encodes some characters differently from `encode` (the SDK leaves ! * ( ) raw), so the
// server decodes the query and re-encodes each value. Pure: no I/O, no clock.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'ACS3-HMAC-SHA256';

export type Query = Record<string, string>;
export type Headers = Record<string, string | string[] | undefined>;

/** encodeURIComponent, plus ! ' ( ) * as the SDK encodes them. */
export function acsEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Decodes `a=1&b=x%20y` (form rules: + is a space); undefined when an escape is malformed. */
export function parseQuery(raw: string): Query | undefined {
  const query: Query = {};
  if (raw === '') return query;
  try {
    for (const pair of raw.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const key = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
      const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
      if (!(key in query)) query[key] = value;
    }
  } catch {
    return undefined;
  }
  return query;
}

export function canonicalQuery(query: Query): string {
  return Object.keys(query)
    .sort()
    .map((key) => `${key}=${acsEncode(query[key] as string)}`)
    .join('&');
}

function headerValue(headers: Headers, name: string): string {
  const value = headers[name];
  return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim();
}

export interface SignedRequest {
  method: string;
  /** The path as sent, without the query. */
  path: string;
  query: Query;
  /** Lower-case names, as Node gives them. */
  headers: Headers;
  /** Lower-case names, in the order the Authorization header lists them. */
  signedHeaders: string[];
  payloadSha256Hex: string;
}

export function canonicalRequest(request: SignedRequest): string {
  const headerLines = request.signedHeaders.map((name) => `${name}:${headerValue(request.headers, name)}\n`).join('');
  return [
    request.method,
    request.path,
    canonicalQuery(request.query),
    headerLines,
    request.signedHeaders.join(';'),
    request.payloadSha256Hex,
  ].join('\n');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function signature(secret: string, request: SignedRequest): string {
  const stringToSign = `${ALGORITHM}\n${sha256Hex(canonicalRequest(request))}`;
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}

export interface Authorization {
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex`; undefined if malformed. */
export function parseAuthorization(header: string | undefined): Authorization | undefined {
  if (header === undefined || !header.startsWith(`${ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signed = fields.get('SignedHeaders');
  const sig = fields.get('Signature');
  if (!accessKeyId || !signed || !sig || !/^[0-9a-f]{64}$/.test(sig)) return undefined;
  return { accessKeyId, signedHeaders: signed.split(';').map((h) => h.toLowerCase()), signature: sig };
}

export function signaturesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Client side (benchmarks, raw-request tests): the Authorization header for a request. */
export function authorizationHeader(accessKeyId: string, secret: string, request: Omit<SignedRequest, 'signedHeaders'>): string {
  const signedHeaders = Object.keys(request.headers)
    .map((name) => name.toLowerCase())
    .filter((name) => name === 'host' || name === 'content-type' || name.startsWith('x-acs-'))
    .sort();
  const sig = signature(secret, { ...request, signedHeaders });
  return `${ALGORITHM} Credential=${accessKeyId},SignedHeaders=${signedHeaders.join(';')},Signature=${sig}`;
}
