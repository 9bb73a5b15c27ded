// Typed access to NetworkInterfaceClaims for both writers (controller and node agent), each write
// shaped so that the two never undo each other's work:
// - status: server-side apply to /status under the writer's own field manager. Conditions are a
//   list-map keyed by `type` in the CRD, so each manager owns its own entries.
// - finalizers: a JSON merge patch carrying metadata.resourceVersion, i.e. a compare-and-swap that
//   the API server enforces (409 when the claim changed since it was read), retried on a fresh
//   read. Server-side apply per finalizer was the alternative; it was not chosen because removal
//   by apply only drops an entry no other manager co-owns: an entry that a kubectl edit, a merge
//   patch or an older version of this code ever set stays, silently. The compare-and-swap is
//   correct whatever the object's managedFields history.
// - labels: a merge patch of one key; maps merge per key, so no precondition is needed.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../api/names.ts';
import type { ClaimSpec, ClaimStatus, NetworkInterfaceClaim } from '../api/claim.ts';
import { isConflict, isNotFound } from './api-errors.ts';
import { Informer, restSource, type InformerOptions, type KubeList, type ListSelectors } from './informer.ts';
import { CONTENT_TYPE, kubeRestOf, type KubeRest, type KubeSource } from './rest.ts';

export type NetworkInterfaceClaimList = KubeList<NetworkInterfaceClaim> & { apiVersion?: string; kind?: string };

/** What create() needs: a name (and labels etc.) and a spec; apiVersion and kind are filled in. */
export interface ClaimManifest {
  metadata: V1ObjectMeta & { name: string };
  spec: ClaimSpec;
}

/** The collection's path, for watches. */
export const CLAIMS_PATH = `/apis/${GROUP}/${VERSION}/${PLURAL}`;

/** Compare-and-swap attempts before a conflict is handed to the caller (who requeues). */
const FINALIZER_ATTEMPTS = 5;

function claimPath(name: string, subresource = ''): string {
  return `${CLAIMS_PATH}/${encodeURIComponent(name)}${subresource}`;
}

export class ClaimClient {
  private readonly rest: KubeRest;

  /** `kube`: the lean client, or a client-node KubeConfig (which gets one lean client of its own). */
  constructor(kube: KubeSource) {
    this.rest = kubeRestOf(kube);
  }

  /** The claim, or undefined when there is none of that name. */
  async get(name: string): Promise<NetworkInterfaceClaim | undefined> {
    try {
      return await this.rest.get<NetworkInterfaceClaim>(claimPath(name));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(selectors: ListSelectors = {}): Promise<NetworkInterfaceClaimList> {
    return this.rest.get<NetworkInterfaceClaimList>(CLAIMS_PATH, { ...selectors });
  }

  async create(claim: ClaimManifest): Promise<NetworkInterfaceClaim> {
    const body = { apiVersion: API_VERSION, kind: KIND, ...claim };
    return this.rest.post<NetworkInterfaceClaim>(CLAIMS_PATH, body);
  }

  /** Requests deletion (finalizers then hold it); false when the claim was already gone. */
  async delete(name: string): Promise<boolean> {
    try {
      await this.rest.delete(claimPath(name));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * Server-side apply of `status` to /status as `fieldManager`, forcing ownership. `status` is the
   * COMPLETE set of status fields this manager owns: a field (or condition type) it applied before
   * and leaves out now is removed. Never include another writer's fields or conditions.
   */
  async applyStatus(name: string, fieldManager: string, status: Partial<ClaimStatus>): Promise<NetworkInterfaceClaim> {
    const body = { apiVersion: API_VERSION, kind: KIND, metadata: { name }, status };
    return this.rest.patch<NetworkInterfaceClaim>(claimPath(name, '/status'), body, CONTENT_TYPE.apply, { fieldManager, force: true });
  }

  /**
   * Adds `finalizer` unless present. Pass the claim you hold (e.g. from the informer) to save a
   * read; when it is stale the write conflicts and is retried on a fresh read. Throws the 409 after
   * FINALIZER_ATTEMPTS conflicts in a row (requeue), and a 404 when the claim is gone.
   */
  async addFinalizer(claim: NetworkInterfaceClaim | string, finalizer: string): Promise<NetworkInterfaceClaim> {
    const result = await this.swapFinalizers(claim, (list) => (list.includes(finalizer) ? undefined : [...list, finalizer]));
    if (!result) throw Object.assign(new Error(`claim ${nameOf(claim)} not found`), { code: 404 });
    return result;
  }

  /**
   * Removes `finalizer` if present, as addFinalizer. Resolves undefined when the claim is gone.
   * A claim passed in that lacks the finalizer is checked with a fresh read: a copy older than the
   * writer's own add would otherwise leave the claim stuck, and removal happens once per claim.
   */
  async removeFinalizer(claim: NetworkInterfaceClaim | string, finalizer: string): Promise<NetworkInterfaceClaim | undefined> {
    const change = (list: string[]): string[] | undefined => (list.includes(finalizer) ? list.filter((f) => f !== finalizer) : undefined);
    return this.swapFinalizers(claim, change, true);
  }

  /** Sets (or, with null, removes) one label, leaving every other label alone. */
  async setLabel(name: string, key: string, value: string | null): Promise<NetworkInterfaceClaim> {
    const body = { metadata: { labels: { [key]: value } } };
    return this.rest.patch<NetworkInterfaceClaim>(claimPath(name), body, CONTENT_TYPE.mergePatch);
  }

  /**
   * Compare-and-swap of metadata.finalizers: `change` maps the current list to the new one, or to
   * undefined when nothing is to be done (on a fresh read, if `confirmNoChange`). Undefined
   * result: the claim does not exist.
   */
  private async swapFinalizers(
    claim: NetworkInterfaceClaim | string,
    change: (current: string[]) => string[] | undefined,
    confirmNoChange = false,
  ): Promise<NetworkInterfaceClaim | undefined> {
    const name = nameOf(claim);
    let fresh = typeof claim === 'string';
    let current = fresh ? await this.get(name) : (claim as NetworkInterfaceClaim);
    for (let attempt = 1; current; attempt++) {
      const next = change(current.metadata.finalizers ?? []);
      if (!next && (fresh || !confirmNoChange)) return current;
      if (!next) {
        current = await this.get(name);
        fresh = true;
        continue;
      }
      const body = { metadata: { resourceVersion: current.metadata.resourceVersion, finalizers: next } };
      try {
        return await this.rest.patch<NetworkInterfaceClaim>(claimPath(name), body, CONTENT_TYPE.mergePatch);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        if (!isConflict(err) || attempt >= FINALIZER_ATTEMPTS) throw err;
      }
      current = await this.get(name);
      fresh = true;
    }
    return undefined;
  }
}

function nameOf(claim: NetworkInterfaceClaim | string): string {
  return typeof claim === 'string' ? claim : (claim.metadata.name ?? '');
}

export type ClaimInformerOptions = Omit<InformerOptions<NetworkInterfaceClaim>, 'source' | 'name'> & {
  name?: string;
};

/** An informer on claims; the node agent passes `labelSelector: ecseni.io/node=<node>`. */
export function claimInformer(kube: KubeSource, options: ClaimInformerOptions): Informer<NetworkInterfaceClaim> {
  return new Informer<NetworkInterfaceClaim>({
    ...options,
    name: options.name ?? PLURAL,
    source: restSource<NetworkInterfaceClaim>(kubeRestOf(kube), CLAIMS_PATH),
  });
}
