// Every ECS/VPC error code the controller acts on, in one table: the HTTP status ECS answers
// with, how the work queue should retry it, and the reason a claim condition shows.
// Sources: ../shared/reference/ecs-api.md (from the API reference of each action:
// https://www.alibabacloud.com/help/en/ecs/developer-reference/api-<action> (the tag codes from
// api-ecs-2014-05-26-tagresources and -untagresources), and the common
// errors at https://api.aliyun.com/document/Ecs/2014-05-26/errorCode) and Terway's
// pkg/aliyun/client/errors (what Terway retries and what it treats as done).

/** What the caller should do next: the work queue maps each class to a backoff profile. */
export type RetryClass =
  | 'throttled' // slow down: back off at least retryAfterMs
  | 'transient' // retry soon with backoff: 5xx, cut connections, timeouts
  | 'notFound' // the resource is gone: the caller decides (adopt, recreate, treat as done)
  | 'conflict' // the resource is busy or mid-transition: retry after it settles
  | 'permanent' // the request cannot succeed as is: condition + slow retry
  | 'auth'; // credentials or permissions: condition + slow retry, alert

/** Condition reasons (CamelCase, as Kubernetes conventions want), shown on the claim. */
export const CLOUD_REASONS = [
  'VSwitchNotFound',
  'SecurityGroupNotFound',
  'InstanceNotFound',
  'EniNotFound',
  'InstanceTypeNotFound',
  'ZoneMismatch',
  'VpcMismatch',
  'InstanceENIQuotaExceeded',
  'AccountENIQuotaExceeded',
  'PrivateIpQuotaExceeded',
  'VSwitchIpExhausted',
  'SecurityGroupQuotaExceeded',
  'InstanceMustBeStopped',
  'InvalidEniState',
  'OperationConflict',
  'IdempotencyConflict',
  'InvalidParameter',
  'Throttled',
  'CloudAuthFailed',
  'CloudUnavailable',
  'CloudError',
] as const;
export type CloudReason = (typeof CLOUD_REASONS)[number];

export interface CodeRule {
  /** The status ECS documents for the code (some codes come with more than one). */
  status: number;
  retryClass: RetryClass;
  reason: CloudReason;
}

function rule(status: number, retryClass: RetryClass, reason: CloudReason): CodeRule {
  return { status, retryClass, reason };
}

export const ECS_ERROR_CODES: Readonly<Record<string, CodeRule>> = {
  // Not found. An ENI or instance that vanished is for the caller to judge (detach/delete treat it
  // as done); a vSwitch or security group named in a spec that does not exist is the user's to fix.
  'InvalidEniId.NotFound': rule(404, 'notFound', 'EniNotFound'),
  'InvalidEcsId.NotFound': rule(404, 'notFound', 'InstanceNotFound'),
  'InvalidInstanceId.NotFound': rule(404, 'notFound', 'InstanceNotFound'), // 403 on attach/detach
  'InvalidVSwitchId.NotFound': rule(404, 'permanent', 'VSwitchNotFound'),
  'InvalidSecurityGroupId.NotFound': rule(404, 'permanent', 'SecurityGroupNotFound'),
  'InvalidRegionId.NotFound': rule(404, 'permanent', 'InvalidParameter'), // a misconfigured --region
  // The tag APIs name resources generically; the only resources the controller tags are ENIs.
  'InvalidResourceId.NotFound': rule(404, 'notFound', 'EniNotFound'),
  'InvalidResourceType.NotFound': rule(404, 'permanent', 'InvalidParameter'),

  // Wrong state. An ENI mid-transition settles by itself; an instance type that only attaches
  // while Stopped needs a person (no dedicated code is documented; these two are the closest).
  'InvalidOperation.InvalidEniState': rule(400, 'conflict', 'InvalidEniState'),
  'InvalidOperation.InvalidEcsState': rule(400, 'permanent', 'InstanceMustBeStopped'),
  IncorrectInstanceStatus: rule(403, 'permanent', 'InstanceMustBeStopped'),
  'InvalidOperation.DetachPrimaryEniNotAllowed': rule(400, 'permanent', 'InvalidParameter'),

  // Quotas: the controller retries slowly; a release elsewhere may make room.
  EniPerInstanceLimitExceeded: rule(403, 'permanent', 'InstanceENIQuotaExceeded'),
  MaxEniCountExceeded: rule(403, 'permanent', 'AccountENIQuotaExceeded'), // the region's ENI quota
  'InvalidOperation.Ipv4CountExceeded': rule(403, 'permanent', 'PrivateIpQuotaExceeded'),
  'QuotaExceeded.PrivateIpAddress': rule(403, 'permanent', 'PrivateIpQuotaExceeded'),
  'InvalidVSwitchId.IpNotEnough': rule(403, 'permanent', 'VSwitchIpExhausted'),
  SecurityGroupInstanceLimitExceed: rule(403, 'permanent', 'SecurityGroupQuotaExceeded'),
  'QuotaExceed.Tags': rule(403, 'permanent', 'InvalidParameter'),
  'OperationDenied.QuotaExceed': rule(400, 'permanent', 'InvalidParameter'), // TagResources: over 20 tags on a resource

  // Mismatch between the ENI's vSwitch and the instance.
  'InvalidOperation.AvailabilityZoneMismatch': rule(403, 'permanent', 'ZoneMismatch'),
  'InvalidOperation.VpcMismatch': rule(403, 'permanent', 'VpcMismatch'),

  // Conflicts and idempotency. A ClientToken reused with other parameters cannot succeed by
  // retrying; one still being processed will answer on a later try.
  'Operation.Conflict': rule(403, 'conflict', 'OperationConflict'),
  OperationConflict: rule(409, 'conflict', 'OperationConflict'),
  IdempotentProcessing: rule(403, 'conflict', 'OperationConflict'),
  IdempotentParameterMismatch: rule(400, 'permanent', 'IdempotencyConflict'),

  // Throttling (400, sometimes 403/429): the SDK raises ThrottlingError for any code containing it.
  Throttling: rule(400, 'throttled', 'Throttled'),
  'Throttling.User': rule(400, 'throttled', 'Throttled'),
  'Throttling.Api': rule(400, 'throttled', 'Throttled'),

  // Requests the API rejects as malformed.
  MissingParameter: rule(400, 'permanent', 'InvalidParameter'),
  InvalidParameter: rule(400, 'permanent', 'InvalidParameter'),
  'InvalidTagKey.Malformed': rule(400, 'permanent', 'InvalidParameter'),
  'InvalidPrivateIpAddress.Duplicated': rule(400, 'permanent', 'InvalidParameter'), // primaryIpAddress taken
  'InvalidIp.IpUnassigned': rule(400, 'permanent', 'InvalidParameter'), // unassigning an address the ENI lacks

  // Authentication and authorisation. InvalidCredentials is the SDK's own (no credential at all).
  'Forbidden.RAM': rule(403, 'auth', 'CloudAuthFailed'),
  Forbidden: rule(403, 'auth', 'CloudAuthFailed'),
  SignatureDoesNotMatch: rule(400, 'auth', 'CloudAuthFailed'),
  IncompleteSignature: rule(400, 'auth', 'CloudAuthFailed'),
  'InvalidAccessKeyId.NotFound': rule(400, 'auth', 'CloudAuthFailed'),
  'InvalidAccessKeyId.Inactive': rule(400, 'auth', 'CloudAuthFailed'),
  'InvalidSecurityToken.Expired': rule(400, 'auth', 'CloudAuthFailed'),
  'InvalidSecurityToken.Malformed': rule(400, 'auth', 'CloudAuthFailed'),
  'InvalidSecurityToken.MismatchWithAccessKey': rule(400, 'auth', 'CloudAuthFailed'),
  InvalidCredentials: rule(400, 'auth', 'CloudAuthFailed'),
  'InvalidTimeStamp.Expired': rule(400, 'auth', 'CloudAuthFailed'), // the signer's clock is off
  // A nonce collision: the next attempt signs with a fresh nonce.
  SignatureNonceUsed: rule(400, 'transient', 'CloudUnavailable'),

  // The service itself: documented as safe to retry with the same ClientToken.
  InternalError: rule(500, 'transient', 'CloudUnavailable'),
  ServiceUnavailable: rule(503, 'transient', 'CloudUnavailable'),
};

/**
 * Codes of our own, for failures that never reached ECS or that ECS answers without an error
 * code: they classify like the table's entries.
 */
export const LOCAL_ERROR_CODES: Readonly<Record<string, CodeRule>> = {
  Timeout: rule(0, 'transient', 'CloudUnavailable'),
  NetworkError: rule(0, 'transient', 'CloudUnavailable'),
  CredentialsUnavailable: rule(0, 'auth', 'CloudAuthFailed'),
  InstanceTypeNotFound: rule(0, 'permanent', 'InstanceTypeNotFound'),
};
