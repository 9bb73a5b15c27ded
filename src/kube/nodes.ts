// Nodes, for the controller (node → instance, node gone): an informer over the whole collection.
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { Informer, type InformerOptions } from './informer.ts';

export const NODES_PATH = '/api/v1/nodes';

export type NodeInformerOptions = Omit<InformerOptions<V1Node>, 'kubeConfig' | 'path' | 'list' | 'name'> & { name?: string };

export function nodeInformer(kubeConfig: KubeConfig, options: NodeInformerOptions): Informer<V1Node> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return new Informer<V1Node>({
    ...options,
    name: options.name ?? 'nodes',
    kubeConfig,
    path: NODES_PATH,
    list: (selectors) => core.listNode(selectors),
  });
}
