// One error type for every cloud failure, with a stable code, a retry class and a condition
// reason, so that the controller decides from data and never parses messages.
import { AlibabaCloudError, ThrottlingError } from '@alicloud/openapi-core';
import { ECS_ERROR_CODES, LOCAL_ERROR_CODES } from './error-codes.ts';
import type { CloudReason, CodeRule, RetryClass } from './error-codes.ts';

export { CLOUD_REASONS, ECS_ERROR_CODES } from './error-codes.ts';
export type { CloudReason, RetryClass } from './error-codes.ts';

export interface CloudErrorInit {
  code: string;
  action: string;
  message: string;
  retryClass: RetryClass;
  reason: CloudReason;
  statusCode?: number;
  requestId?: string;
  retryAfterMs?: number;
}

export class CloudError extends Error {
  /** The ECS error code (`InvalidVSwitchId.NotFound`), or ours: `Timeout`, `NetworkError`, … */
  readonly code: string;
  /** The API action that failed, e.g. `CreateNetworkInterface`. */
  readonly action: string;
  readonly retryClass: RetryClass;
  readonly reason: CloudReason;
  readonly statusCode?: number;
  readonly requestId?: string;
  /** How long ECS asked us to wait (x-acs-retry-after), when it said. */
  readonly retryAfterMs?: number;

  constructor(init: CloudErrorInit) {
    super(init.message);
    this.name = 'CloudError';
    this.code = init.code;
    this.action = init.action;
    this.retryClass = init.retryClass;
    this.reason = init.reason;
    if (init.statusCode !== undefined) this.statusCode = init.statusCode;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }
}

export function isCloudError(err: unknown, reason?: CloudReason): err is CloudError {
  return err instanceof CloudError && (reason === undefined || err.reason === reason);
}

/** Builds a CloudError for one of our own codes (LOCAL_ERROR_CODES). */
export function localCloudError(code: keyof typeof LOCAL_ERROR_CODES, action: string, message: string): CloudError {
  const rule = LOCAL_ERROR_CODES[code] as CodeRule;
  return new CloudError({ code, action, message: `${action}: ${message}`, retryClass: rule.retryClass, reason: rule.reason });
}

/** Turns anything the SDK, the credential chain or the socket throws into a CloudError. */
export function classify(err: unknown, action: string): CloudError {
  if (err instanceof CloudError) return err;
  if (isApiError(err)) return fromApiError(err, action);
  return fromLocalError(err, action);
}

// By name as well as by class, in case two copies of openapi-core end up installed side by side.
const API_ERROR_NAMES = new Set(['AlibabaCloudError', 'ClientError', 'ServerError', 'ThrottlingError']);

function isApiError(err: unknown): err is AlibabaCloudError {
  return err instanceof AlibabaCloudError || (err instanceof Error && API_ERROR_NAMES.has(err.name) && 'code' in err);
}

function fromApiError(err: AlibabaCloudError, action: string): CloudError {
  const code = err.code || 'Unknown';
  const statusCode = typeof err.statusCode === 'number' ? err.statusCode : undefined;
  const rule = ECS_ERROR_CODES[code] ?? ruleForUnknownCode(err, statusCode);
  const requestId = err.requestId && err.requestId !== 'undefined' ? err.requestId : undefined;
  return new CloudError({
    code,
    action,
    message: `${action}: ${code}: ${redact(apiMessage(err))}`,
    retryClass: rule.retryClass,
    reason: rule.reason,
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(requestId === undefined ? {} : { requestId }),
    ...retryAfterOf(err),
  });
}

function ruleForUnknownCode(err: AlibabaCloudError, statusCode: number | undefined): CodeRule {
  if (err instanceof ThrottlingError || err.name === 'ThrottlingError' || err.code?.includes('Throttling')) return { status: statusCode ?? 400, retryClass: 'throttled', reason: 'Throttled' };
  if (statusCode !== undefined && statusCode >= 500) return { status: statusCode, retryClass: 'transient', reason: 'CloudUnavailable' };
  return { status: statusCode ?? 400, retryClass: 'permanent', reason: 'CloudError' };
}

function retryAfterOf(err: AlibabaCloudError): { retryAfterMs?: number } {
  const after = (err as { retryAfter?: unknown }).retryAfter;
  return typeof after === 'number' && Number.isFinite(after) && after >= 0 ? { retryAfterMs: after } : {};
}

/** ECS's own message from the error body; the SDK's message repeats the code and status. */
function apiMessage(err: AlibabaCloudError): string {
  const data = (err as { data?: { Message?: unknown; message?: unknown } }).data;
  const message = data?.Message ?? data?.message;
  return typeof message === 'string' ? message : err.message;
}

// Socket-level failures: the request may or may not have reached ECS, so only an idempotent
// retry (ClientToken, or a read) is safe; the work queue's retry is one.
const NETWORK_ERRNOS = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE',
]);

function fromLocalError(err: unknown, action: string): CloudError {
  const e = (err ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
  const message = redact(typeof e.message === 'string' ? e.message : String(err));
  if (isTimeout(e)) return localCloudError('Timeout', action, message);
  if ((typeof e.code === 'string' && NETWORK_ERRNOS.has(e.code)) || /socket hang up/i.test(message)) {
    return localCloudError('NetworkError', action, message);
  }
  if (/unable to get credentials|credential/i.test(message)) return localCloudError('CredentialsUnavailable', action, message);
  // Anything else (a proxy's HTML page, a truncated body) is most likely passing: retry with backoff.
  return new CloudError({ code: 'UnknownError', action, message: `${action}: ${message}`, retryClass: 'transient', reason: 'CloudError' });
}

function isTimeout(e: { name?: unknown; code?: unknown }): boolean {
  // httpx names its timeouts RequestTimeoutError; AbortSignal.timeout raises TimeoutError.
  return e.name === 'RequestTimeoutError' || e.name === 'TimeoutError' || e.code === 'ETIMEDOUT';
}

/**
 * Error text can quote the request URL; with the RPC signature style that URL carries the access
 * key id and the signature. Keep the path, drop the query, and blank any credential-looking pair.
 */
export function redact(text: string): string {
  return text
    .replace(/(https?:\/\/[^\s?]+)\?[^\s]*/g, '$1?[redacted]')
    .replace(/\b(AccessKeyId|AccessKeySecret|SecurityToken|Signature|Credential)=[^\s,&]+/gi, '$1=[redacted]');
}
