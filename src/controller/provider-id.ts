// Node → ECS instance: a Node's spec.providerID on Alibaba Cloud is `<region>.<instance-id>`
// (e.g. `cn-hangzhou.i-bp1abc`), with an `alicloud://` prefix on some installs.

export interface ProviderId {
  regionId: string;
  instanceId: string;
}

const PREFIX = 'alicloud://';
// Region ids are lower-case words joined by dashes (cn-hangzhou, ap-southeast-1); instance ids
// start with `i-` followed by letters and digits (dash-joined groups allowed, as the CRD's ID
// patterns allow them, so that simulated worlds can use readable ids like i-node-a).
const PATTERN = /^([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\.(i-[a-z0-9]+(?:-[a-z0-9]+)*)$/;

/** The region and instance a providerID names, or undefined when it is not Alibaba Cloud's form. */
export function parseProviderId(providerId: string | undefined): ProviderId | undefined {
  if (!providerId) return undefined;
  const bare = providerId.startsWith(PREFIX) ? providerId.slice(PREFIX.length) : providerId;
  const match = PATTERN.exec(bare);
  if (!match) return undefined;
  return { regionId: match[1] as string, instanceId: match[2] as string };
}
