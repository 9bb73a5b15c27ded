// What ties an ENI to this cluster and to one claim: idempotency tokens derived from the claim's
// UID, and the tags every created ENI carries. Pure functions, so that a restarted controller
// derives exactly the same token and finds the same tags.
import { createHash } from 'node:crypto';
import { TAG_CLAIM_NAME, TAG_CLAIM_UID, TAG_CLUSTER_ID, TERWAY_EXCLUDED_TAG } from '../api/names.ts';
import type { Eni } from '../cloud/port.ts';

/** ECS accepts ClientTokens of at most 64 ASCII characters. */
const MAX_TOKEN_LENGTH = 64;

function token(parts: string[]): string {
  const plain = parts.join('-');
  // A Kubernetes UID is a 36-character UUID, so the plain form fits; hash anything longer or odd.
  if (plain.length <= MAX_TOKEN_LENGTH && /^[\x21-\x7e]+$/.test(plain)) return plain;
  return `${parts[0]}-${createHash('sha256').update(plain).digest('hex').slice(0, 48)}`;
}

/** The ClientToken of a claim's CreateNetworkInterface: the same for every retry, across restarts. */
export function createToken(claimUid: string): string {
  return token(['nic', claimUid]);
}

/**
 * The ClientToken of AssignPrivateIpAddresses: one per generation of the spec and per count the
 * ENI had before, so that a retry replays the same request and nothing else does.
 */
export function assignToken(claimUid: string, generation: number, countBefore: number): string {
  return token(['ip', claimUid, String(generation), String(countBefore)]);
}

/**
 * Tags for a new ENI: the user's, then ours (ours win; the CRD keeps users off our prefix), and
 * Terway's exclusion tag so that a Terway on the same node leaves the ENI alone.
 */
export function ownTags(clusterId: string, claimName: string, claimUid: string, userTags: Record<string, string> = {}): Record<string, string> {
  return {
    ...userTags,
    [TAG_CLUSTER_ID]: clusterId,
    [TAG_CLAIM_UID]: claimUid,
    [TAG_CLAIM_NAME]: claimName,
    [TERWAY_EXCLUDED_TAG.key]: TERWAY_EXCLUDED_TAG.value,
  };
}

/** Only ENIs carrying this cluster's tag may ever be deleted by this controller. */
export function isOwnedByCluster(eni: Pick<Eni, 'tags'>, clusterId: string): boolean {
  return eni.tags[TAG_CLUSTER_ID] === clusterId;
}

/** The UID of the claim an ENI was created for, when this controller created it. */
export function claimUidOf(eni: Pick<Eni, 'tags'>): string | undefined {
  return eni.tags[TAG_CLAIM_UID];
}
