// Nodes, for the controller (node → instance, node gone): an informer over the whole collection,
// through the lean client (objects as the API server sends them: timestamps are strings).
import type { V1Node } from '@kubernetes/client-node';
import { Informer, restSource, type InformerOptions } from './informer.ts';
import { kubeRestOf, type KubeSource } from './rest.ts';

export const NODES_PATH = '/api/v1/nodes';

export type NodeInformerOptions = Omit<InformerOptions<V1Node>, 'source' | 'name'> & { name?: string };

export function nodeInformer(kube: KubeSource, options: NodeInformerOptions): Informer<V1Node> {
  return new Informer<V1Node>({ ...options, name: options.name ?? 'nodes', source: restSource<V1Node>(kubeRestOf(kube), NODES_PATH) });
}
