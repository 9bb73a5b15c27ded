// The API actions the adapter calls, and how many of each it may send a minute.

export const ECS_ACTIONS = [
  'CreateNetworkInterface',
  'AttachNetworkInterface',
  'DetachNetworkInterface',
  'DeleteNetworkInterface',
  'DescribeNetworkInterfaces',
  'AssignPrivateIpAddresses',
  'UnassignPrivateIpAddresses',
  'ModifyNetworkInterfaceAttribute',
  'TagResources',
  'UntagResources',
  'DescribeInstances',
  'DescribeInstanceTypes',
  'DescribeVSwitches', // VPC 2016-04-28
] as const;
export type EcsAction = (typeof ECS_ACTIONS)[number];

/**
 * Terway's token buckets (n a minute, burst n; ../shared/reference/terway.md):
 * 500 unless listed; Describe 800; Detach, Assign/Unassign and DescribeInstanceTypes 400;
 * DescribeVSwitches 300. Terway has no figure for TagResources and UntagResources: its default 500.
 */
export const DEFAULT_RATE_LIMITS_PER_MINUTE: Readonly<Record<EcsAction, number>> = {
  CreateNetworkInterface: 500,
  AttachNetworkInterface: 500,
  DetachNetworkInterface: 400,
  DeleteNetworkInterface: 500,
  DescribeNetworkInterfaces: 800,
  AssignPrivateIpAddresses: 400,
  UnassignPrivateIpAddresses: 400,
  ModifyNetworkInterfaceAttribute: 500,
  TagResources: 500,
  UntagResources: 500,
  DescribeInstances: 500,
  DescribeInstanceTypes: 400,
  DescribeVSwitches: 300,
};

export function isEcsAction(name: string): name is EcsAction {
  return (ECS_ACTIONS as readonly string[]).includes(name);
}

/**
 * Parses overrides as a flag gives them: `CreateNetworkInterface=100,DescribeNetworkInterfaces=800`.
 * Throws on an unknown action or a limit that is not a positive number (`Infinity` lifts it).
 */
export function parseRateLimits(text: string): Partial<Record<EcsAction, number>> {
  const limits: Partial<Record<EcsAction, number>> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [action = '', value = ''] = item.split('=').map((s) => s.trim());
    const perMinute = Number(value);
    if (!isEcsAction(action)) throw new RangeError(`unknown ECS action in rate limits: ${JSON.stringify(action)} (known: ${ECS_ACTIONS.join(', ')})`);
    if (value === '' || !(perMinute > 0)) throw new RangeError(`rate limit for ${action} must be a positive number per minute, got ${JSON.stringify(value)}`);
    limits[action] = perMinute;
  }
  return limits;
}
