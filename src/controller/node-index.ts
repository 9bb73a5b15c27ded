// Nodes as decide() needs them: whether a node exists, its instance (from spec.providerID), and
// whether it is Ready; and the reverse, which node an instance is, to find the node holding an ENI.
import type { V1Node } from '@kubernetes/client-node';
import type { NodeFacts } from './facts.ts';
import { parseProviderId } from './provider-id.ts';

export interface NodeSource {
  get(name: string): V1Node | undefined;
  list(): ReadonlyArray<V1Node>;
}

export function nodeFacts(name: string, node: V1Node | undefined): NodeFacts {
  if (!node) return { name, exists: false };
  const providerId = node.spec?.providerID || undefined;
  const parsed = parseProviderId(providerId);
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  // A node that has never reported (no Ready condition at all) is not held against it.
  const isReady = !ready || ready.status === 'True';
  const since = ready?.lastTransitionTime ? new Date(ready.lastTransitionTime).getTime() : undefined;
  return {
    name,
    exists: true,
    providerId,
    instanceId: parsed?.instanceId,
    regionId: parsed?.regionId,
    ready: isReady,
    notReadySinceMs: isReady ? undefined : since,
  };
}

/** Node facts from the Node informer's cache, with an instance → node index kept by its events. */
export class NodeIndex {
  private readonly source: NodeSource;
  private readonly byInstance = new Map<string, string>();

  constructor(source: NodeSource) {
    this.source = source;
  }

  facts(name: string): NodeFacts {
    return nodeFacts(name, this.source.get(name));
  }

  /** The node whose providerID names `instanceId`, if any. */
  holderOf(instanceId: string): NodeFacts | undefined {
    let name = this.byInstance.get(instanceId);
    if (name === undefined || this.instanceOf(name) !== instanceId) {
      this.rebuild();
      name = this.byInstance.get(instanceId);
    }
    return name === undefined ? undefined : this.facts(name);
  }

  /** Keeps the index current; call from the informer's add/update/delete. */
  observe(node: V1Node, deleted = false): void {
    const name = node.metadata?.name;
    const instanceId = parseProviderId(node.spec?.providerID)?.instanceId;
    if (!name || !instanceId) return;
    if (deleted) {
      if (this.byInstance.get(instanceId) === name) this.byInstance.delete(instanceId);
    } else {
      this.byInstance.set(instanceId, name);
    }
  }

  private instanceOf(name: string): string | undefined {
    return parseProviderId(this.source.get(name)?.spec?.providerID)?.instanceId;
  }

  private rebuild(): void {
    this.byInstance.clear();
    for (const node of this.source.list()) this.observe(node);
  }
}
