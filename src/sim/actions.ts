// The actions the simulator serves, with the API version each belongs to: ECS 2014-05-26, and VPC
// 2016-04-28's DescribeVSwitches on the same listener.
import { describeInstanceTypes, describeInstances, describeNetworkInterfaceAttribute, describeNetworkInterfaces, describeVSwitches } from './describe-actions.ts';
import { attachNetworkInterface, createNetworkInterface, deleteNetworkInterface, detachNetworkInterface } from './eni-actions.ts';
import type { ActionContext } from './eni-actions.ts';
import type { Answer } from './idempotency.ts';
import { assignPrivateIpAddresses, modifyNetworkInterfaceAttribute, unassignPrivateIpAddresses } from './ip-actions.ts';
import type { Params } from './params.ts';
import { tagResources, untagResources } from './tag-actions.ts';

export const ECS_VERSION = '2014-05-26';
export const VPC_VERSION = '2016-04-28';

export interface ActionDef {
  version: string;
  run: (ctx: ActionContext, params: Params) => Answer;
  /** Changes state: the answer waits until the state file has it. */
  mutates: boolean;
  /** DescribeInstanceTypes is the one action without a RegionId. */
  needsRegion: boolean;
}

const ecs = (run: ActionDef['run'], mutates: boolean, needsRegion = true): ActionDef => ({ version: ECS_VERSION, run, mutates, needsRegion });

export const ACTIONS: Readonly<Record<string, ActionDef>> = {
  CreateNetworkInterface: ecs(createNetworkInterface, true),
  AttachNetworkInterface: ecs(attachNetworkInterface, true),
  DetachNetworkInterface: ecs(detachNetworkInterface, true),
  DeleteNetworkInterface: ecs(deleteNetworkInterface, true),
  AssignPrivateIpAddresses: ecs(assignPrivateIpAddresses, true),
  UnassignPrivateIpAddresses: ecs(unassignPrivateIpAddresses, true),
  ModifyNetworkInterfaceAttribute: ecs(modifyNetworkInterfaceAttribute, true),
  TagResources: ecs(tagResources, true),
  UntagResources: ecs(untagResources, true),
  DescribeNetworkInterfaces: ecs(describeNetworkInterfaces, false),
  DescribeNetworkInterfaceAttribute: ecs(describeNetworkInterfaceAttribute, false),
  DescribeInstances: ecs(describeInstances, false),
  DescribeInstanceTypes: ecs(describeInstanceTypes, false, false),
  DescribeVSwitches: { version: VPC_VERSION, run: describeVSwitches, mutates: false, needsRegion: true },
};

export function actionDef(action: string | undefined, version: string | undefined): ActionDef | undefined {
  const def = action !== undefined && Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  return def && def.version === version ? def : undefined;
}
