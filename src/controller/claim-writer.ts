// Writes to claims, and the freshest copy of each claim this controller has seen: the informer's
// cache lags our own writes by a watch event, and a reconcile that read the stale copy would
// write the same status again. The answer of each write is kept until the informer catches up.
import type { NetworkInterfaceClaim } from '../api/claim.ts';
import { CONTROLLER_FIELD_MANAGER, NODE_LABEL } from '../api/names.ts';
import type { ClaimStatus } from '../api/claim.ts';
import { isNotFound } from '../kube/api-errors.ts';
import type { ClaimClient } from '../kube/claims.ts';
import { statusUnchanged } from './status.ts';

export type ClaimApi = Pick<ClaimClient, 'applyStatus' | 'addFinalizer' | 'removeFinalizer' | 'setLabel'>;

export class ClaimWriter {
  private readonly api: ClaimApi;
  private readonly written = new Map<string, NetworkInterfaceClaim>();

  constructor(api: ClaimApi) {
    this.api = api;
  }

  /** The newer of the informer's copy and the answer to our last write. */
  freshest(name: string, cached: NetworkInterfaceClaim | undefined): NetworkInterfaceClaim | undefined {
    const mine = this.written.get(name);
    if (!cached || !mine) return cached;
    if (cached.metadata.uid !== mine.metadata.uid || isOlder(mine, cached)) {
      this.written.delete(name);
      return cached;
    }
    return mine;
  }

  /** The informer delivered `claim`: once it has caught up with our last write, that answer can go. */
  observe(claim: NetworkInterfaceClaim): void {
    const name = claim.metadata.name ?? '';
    const mine = this.written.get(name);
    if (mine && (mine.metadata.uid !== claim.metadata.uid || isOlder(mine, claim))) this.written.delete(name);
  }

  forget(name: string): void {
    this.written.delete(name);
  }

  /** Applies the controller's status when it differs from what the claim shows. */
  async status(claim: NetworkInterfaceClaim, status: ClaimStatus): Promise<void> {
    if (statusUnchanged(claim.status, status)) return;
    await this.keep(this.api.applyStatus(nameOf(claim), CONTROLLER_FIELD_MANAGER, status));
  }

  async label(claim: NetworkInterfaceClaim, node: string): Promise<void> {
    if (claim.metadata.labels?.[NODE_LABEL] === node) return;
    await this.keep(this.api.setLabel(nameOf(claim), NODE_LABEL, node));
  }

  async addFinalizer(claim: NetworkInterfaceClaim, finalizer: string): Promise<void> {
    await this.keep(this.api.addFinalizer(claim, finalizer));
  }

  async removeFinalizer(claim: NetworkInterfaceClaim, finalizer: string): Promise<void> {
    await this.keep(this.api.removeFinalizer(claim, finalizer));
  }

  private async keep(write: Promise<NetworkInterfaceClaim | undefined>): Promise<void> {
    try {
      const answer = await write;
      if (answer?.metadata.name) this.written.set(answer.metadata.name, slim(answer));
    } catch (err) {
      // The claim went away meanwhile: nothing left to write to.
      if (!isNotFound(err)) throw err;
    }
  }
}

/**
 * Drops what the controller never reads and what makes up most of a claim's size: the managed
 * fields of server-side apply (several entries per claim). Mutates and returns `claim`.
 */
export function slim<T extends { metadata?: { managedFields?: unknown } }>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

function nameOf(claim: NetworkInterfaceClaim): string {
  return claim.metadata.name ?? '';
}

/** resourceVersion is opaque, but etcd's are integers; anything else counts as not older. */
function isOlder(a: NetworkInterfaceClaim, b: NetworkInterfaceClaim): boolean {
  const [x, y] = [a.metadata.resourceVersion, b.metadata.resourceVersion];
  if (!x || !y || !/^\d+$/.test(x) || !/^\d+$/.test(y)) return true;
  return BigInt(x) <= BigInt(y);
}
