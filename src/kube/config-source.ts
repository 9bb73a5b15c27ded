// Where the API server and credentials come from, shared by both kubeconfig readers (client-node's
// KubeConfig in config.ts, the lean one in rest-config.ts). The order differs from client-node's
// loadFromDefault on purpose: in a pod, the ServiceAccount wins over a stray ~/.kube/config that an
// image might carry, and no source at all is an error rather than a silent http://localhost:8080.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Where a kubeconfig reader looks, given the environment; exported for tests. */
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
