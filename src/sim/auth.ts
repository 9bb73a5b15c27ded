// Request authentication: the ACS3-HMAC-SHA256 signature against the world's access keys, the
// request time (x-acs-date within 15 minutes of the server's clock), and the nonce (each
// x-acs-signature-nonce once). A request that fails here never reaches an action.
import { SimError } from './errors.ts';
import { parseAuthorization, sha256Hex, signature, signaturesEqual } from './signature.ts';
import type { Headers, Query } from './signature.ts';

/** What arrives over HTTP, before anything is trusted. */
export interface ApiRequest {
  method: string;
  /** The path as sent, without the query. */
  path: string;
  query: Query;
  headers: Headers;
  body: Buffer;
}

const REQUIRED_SIGNED = ['host', 'x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256'];
export const TIME_WINDOW_MS = 15 * 60_000;

function incomplete(message: string): SimError {
  return new SimError('IncompleteSignature', message);
}

/**
 * Nonces seen recently, in two generations rotated every 2 × the time window: each nonce is
 * remembered at least that long, longer than a request's date stays acceptable, so a replay
 * is caught either here or by its date.
 */
class NonceMemory {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAt: number;

  constructor(now: number) {
    this.rotatedAt = now;
  }

  /** False when the nonce was already used. */
  remember(nonce: string, now: number): boolean {
    if (now - this.rotatedAt >= 2 * TIME_WINDOW_MS) {
      this.previous = this.current;
      this.current = new Set();
      this.rotatedAt = now;
    }
    if (this.current.has(nonce) || this.previous.has(nonce)) return false;
    this.current.add(nonce);
    return true;
  }
}

export class Authenticator {
  private readonly keys: Map<string, string>;
  private readonly now: () => number;
  private readonly nonces: NonceMemory;

  constructor(keys: Map<string, string>, now: () => number) {
    this.keys = keys;
    this.now = now;
    this.nonces = new NonceMemory(now());
  }

  /** The caller's access key id; throws the ECS error for whatever is wrong. */
  verify(request: ApiRequest): string {
    const auth = parseAuthorization(headerOf(request, 'authorization'));
    if (!auth) throw incomplete('The request signature does not conform to Aliyun standards (missing or malformed Authorization).');
    this.checkSignedHeaders(request, auth.signedHeaders);
    const secret = this.keys.get(auth.accessKeyId);
    if (secret === undefined) throw new SimError('InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    const expected = signature(secret, {
      method: request.method,
      path: request.path,
      query: request.query,
      headers: request.headers,
      signedHeaders: auth.signedHeaders,
      payloadSha256Hex: sha256Hex(request.body),
    });
    if (!signaturesEqual(expected, auth.signature)) {
      throw new SimError('SignatureDoesNotMatch', 'Specified signature does not match our calculation.');
    }
    this.checkTime(headerOf(request, 'x-acs-date') as string);
    if (!this.nonces.remember(headerOf(request, 'x-acs-signature-nonce') as string, this.now())) {
      throw new SimError('SignatureNonceUsed', 'Specified signature nonce was used already.');
    }
    return auth.accessKeyId;
  }

  private checkSignedHeaders(request: ApiRequest, signed: string[]): void {
    for (const name of REQUIRED_SIGNED) {
      if (!signed.includes(name) || headerOf(request, name) === undefined) throw incomplete(`The header ${name} must be present and signed.`);
    }
    for (const name of Object.keys(request.headers)) {
      if (name.startsWith('x-acs-') && !signed.includes(name)) throw incomplete(`The header ${name} must be signed.`);
    }
  }

  private checkTime(date: string): void {
    const at = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(date) ? Date.parse(date) : Number.NaN;
    if (Number.isNaN(at) || Math.abs(this.now() - at) > TIME_WINDOW_MS) {
      throw new SimError('InvalidTimeStamp.Expired', `Specified time stamp or date value is expired (${date}).`);
    }
  }
}

function headerOf(request: ApiRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
