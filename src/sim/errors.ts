// The ECS error codes the simulator answers with, each with the HTTP status that real ECS gives it
// (../shared/reference/ecs-api.md, "Error codes"; the tag codes from the TagResources and
// UntagResources API reference). One table, so that a code never carries two statuses
// by accident; a call site may override the status only where ECS itself does (e.g. 403 for
// InvalidInstanceId.NotFound on attach).

export const ERROR_STATUS = {
  // not found
  'InvalidEniId.NotFound': 404,
  'InvalidEcsId.NotFound': 404,
  'InvalidInstanceId.NotFound': 404,
  'InvalidVSwitchId.NotFound': 404,
  'InvalidSecurityGroupId.NotFound': 404,
  'InvalidRegionId.NotFound': 404,
  'InvalidAction.NotFound': 400,
  // the tag APIs (TagResources, UntagResources) name resources generically
  'InvalidResourceId.NotFound': 404,
  'InvalidResourceType.NotFound': 404,
  // wrong state
  'InvalidOperation.InvalidEniState': 400,
  'InvalidOperation.InvalidEcsState': 400,
  IncorrectInstanceStatus: 403,
  'InvalidOperation.DetachPrimaryEniNotAllowed': 400,
  // quota
  EniPerInstanceLimitExceeded: 403,
  MaxEniCountExceeded: 403,
  'InvalidOperation.Ipv4CountExceeded': 403,
  'InvalidVSwitchId.IpNotEnough': 403,
  'QuotaExceeded.PrivateIpAddress': 403,
  'QuotaExceed.Tags': 403,
  'OperationDenied.QuotaExceed': 400, // TagResources: the resource would carry more than 20 tags
  // mismatch
  'InvalidOperation.AvailabilityZoneMismatch': 403,
  'InvalidOperation.VpcMismatch': 403,
  // addresses
  'InvalidPrivateIpAddress.Duplicated': 400,
  'InvalidIp.IpUnassigned': 400,
  // conflict and idempotency
  'Operation.Conflict': 403,
  OperationConflict: 409,
  IdempotentParameterMismatch: 400,
  IdempotentProcessing: 403,
  // throttling
  Throttling: 400,
  'Throttling.User': 400,
  'Throttling.Api': 400,
  // generic and authentication
  MissingParameter: 400,
  InvalidParameter: 400,
  'InvalidTagKey.Malformed': 400,
  'Forbidden.RAM': 403,
  SignatureDoesNotMatch: 400,
  IncompleteSignature: 400,
  SignatureNonceUsed: 400,
  'InvalidTimeStamp.Expired': 400,
  'InvalidAccessKeyId.NotFound': 400,
  InternalError: 500,
  ServiceUnavailable: 503,
} as const satisfies Record<string, number>;

export type SimErrorCode = keyof typeof ERROR_STATUS;

/** Status of a code from the table; a code that is not there (a test's own fault) is a server error. */
export function statusOf(code: string): number {
  return (ERROR_STATUS as Record<string, number>)[code] ?? 500;
}

/** An ECS error answer: becomes `{RequestId, Code, Message}` with `status`. */
export class SimError extends Error {
  readonly code: string;
  readonly status: number;
  /** Set on throttling answers: sent as the x-acs-retry-after header (milliseconds, as the SDK reads it). */
  readonly retryAfterMs: number | undefined;

  // A fault may answer with any code, hence the open string type beside the table's codes.
  constructor(code: SimErrorCode | (string & {}), message: string, options: { status?: number; retryAfterMs?: number } = {}) {
    super(message);
    this.name = 'SimError';
    this.code = code;
    this.status = options.status ?? statusOf(code);
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function missing(name: string): SimError {
  return new SimError('MissingParameter', `The input parameter "${name}" that is mandatory for processing this request is not supplied.`);
}

export function invalid(name: string, why: string): SimError {
  return new SimError('InvalidParameter', `The specified parameter "${name}" is not valid: ${why}.`);
}
