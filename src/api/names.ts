// Every name the controller, the node agent, the chart and the tests share: one place for each.

export const GROUP = 'ecseni.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'NetworkInterfaceClaim';
export const PLURAL = 'networkinterfaceclaims';
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/** The controller's finalizer: held from before the first cloud call until the ENI is released. */
export const CONTROLLER_FINALIZER = 'ecseni.io/eni';
/** The node agent's finalizer: held while the node's kernel carries state for the claim. */
export const AGENT_FINALIZER = 'ecseni.io/node-config';
/** Label the controller puts on a claim so that each node agent can watch only its own claims. */
export const NODE_LABEL = 'ecseni.io/node';

/** Server-side-apply field managers: one per writer, so that neither clobbers the other's fields. */
export const CONTROLLER_FIELD_MANAGER = 'ecs-eni-controller';
export const AGENT_FIELD_MANAGER = 'ecs-eni-node-agent';

/** Prefix of the ECS tags the controller owns; users' tags may not use it (the CRD rejects them). */
export const TAG_PREFIX = 'ecseni.io/';
export const TAG_CLUSTER_ID = 'ecseni.io/cluster-id';
export const TAG_CLAIM_UID = 'ecseni.io/claim-uid';
export const TAG_CLAIM_NAME = 'ecseni.io/claim-name';
/** Terway's block-list tag (centralised mode): Terway leaves ENIs carrying it alone. */
export const TERWAY_EXCLUDED_TAG = { key: 'terway.alibabacloud.com/excluded', value: 'true' } as const;
