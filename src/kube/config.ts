// client-node's KubeConfig from the sources config-source.ts resolves, for the parts of the
// controller that still use client-node's generated API (Events, Leases). The node agent uses the
// lean reader in rest-config.ts instead and never loads client-node.
import { homedir } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeConfigNotFoundError } from '../errors.ts';
import { resolveKubeConfigSource } from './config-source.ts';

export { resolveKubeConfigSource, type KubeConfigSource } from './config-source.ts';

/** kubectl's rule for several KUBECONFIG files: the first to define a name (or the current context) wins. */
function mergeLikeKubectl(kc: KubeConfig, file: string): void {
  const more = new KubeConfig();
  more.loadFromFile(file);
  const has = (list: { name: string }[], name: string): boolean => list.some((x) => x.name === name);
  for (const cluster of more.clusters) if (!has(kc.clusters, cluster.name)) kc.addCluster(cluster);
  for (const user of more.users) if (!has(kc.users, user.name)) kc.addUser(user);
  for (const context of more.contexts) if (!has(kc.contexts, context.name)) kc.addContext(context);
  if (!kc.currentContext) kc.setCurrentContext(more.currentContext);
}

/**
 * The client configuration: an explicit path, else the files in KUBECONFIG (merged as kubectl
 * does), else the pod's ServiceAccount when KUBERNETES_SERVICE_HOST is set, else ~/.kube/config.
 * Throws KubeConfigNotFoundError when there is none, and when the chosen one names no cluster.
 */
export function loadKubeConfig(path?: string, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const source = resolveKubeConfigSource(path, env, env.HOME ?? homedir());
  const kc = new KubeConfig();
  if (source.kind === 'none') throw new KubeConfigNotFoundError(source.tried);
  if (source.kind === 'in-cluster') {
    kc.loadFromCluster();
    return kc;
  }
  const [first, ...rest] = source.paths;
  kc.loadFromFile(first as string);
  for (const file of rest) mergeLikeKubectl(kc, file);
  if (!kc.getCurrentCluster()) throw new KubeConfigNotFoundError(source.paths.map((p) => `${p} (no current cluster)`));
  return kc;
}
