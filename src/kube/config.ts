// Where the API server and credentials come from. The order differs from client-node's
// loadFromDefault on purpose: in a pod, the ServiceAccount wins over a stray ~/.kube/config that an
// image might carry, and no source at all is an error rather than a silent http://localhost:8080.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export class KubeConfigNotFoundError extends Error {
  readonly code = 'ECSENI_KUBECONFIG_NOT_FOUND';
  override readonly name = 'KubeConfigNotFoundError';

  constructor(tried: string[]) {
    super(
      `no Kubernetes client configuration found (tried: ${tried.join('; ')}): ` +
        'pass --kubeconfig, set KUBECONFIG, or run in a pod with a ServiceAccount',
    );
  }
}

/** Where loadKubeConfig looks, given the environment; exported for tests. */
export type KubeConfigSource =
  | { kind: 'files'; paths: string[] }
  | { kind: 'in-cluster' }
  | { kind: 'none'; tried: string[] };

export function resolveKubeConfigSource(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): KubeConfigSource {
  if (path) return { kind: 'files', paths: [path] };
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p.length > 0);
  if (fromEnv.length > 0) return { kind: 'files', paths: fromEnv };
  if (env.KUBERNETES_SERVICE_HOST) return { kind: 'in-cluster' };
  const defaultPath = join(home, '.kube', 'config');
  if (existsSync(defaultPath)) return { kind: 'files', paths: [defaultPath] };
  return { kind: 'none', tried: ['--kubeconfig', 'KUBECONFIG', 'KUBERNETES_SERVICE_HOST (in-cluster)', defaultPath] };
}

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
