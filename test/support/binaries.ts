// Where the control-plane binaries come from, in the order envtest users expect:
// KUBEBUILDER_ASSETS / TEST_ASSET_* → a per-user cache keyed by version → built from Go modules.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Pinned versions: the cache key, and what /version must answer. */
export const KUBERNETES_VERSION = 'v1.36.3';
export const HELM_VERSION = 'v3.19.0';

export type BinaryName = 'etcd' | 'kube-apiserver' | 'kubectl' | 'helm';

const ENV_OVERRIDE: Record<BinaryName, string | undefined> = {
  etcd: 'TEST_ASSET_ETCD',
  'kube-apiserver': 'TEST_ASSET_KUBE_APISERVER',
  kubectl: 'TEST_ASSET_KUBECTL',
  helm: undefined,
};

const BUILD_SCRIPT = new URL('./build-binaries.sh', import.meta.url).pathname;

export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(base, 'ecs-eni-controller', `k8s-${KUBERNETES_VERSION}`);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function candidates(name: BinaryName): string[] {
  const list: string[] = [];
  const override = ENV_OVERRIDE[name];
  if (override && process.env[override]) list.push(process.env[override]);
  if (process.env.KUBEBUILDER_ASSETS) list.push(join(process.env.KUBEBUILDER_ASSETS, name));
  list.push(join(cacheDir(), name));
  return list;
}

/** The path of a binary, or undefined when no source has it yet (see ensureBinaries). */
export function findBinary(name: BinaryName): string | undefined {
  return candidates(name).find(isExecutable);
}

export function goAvailable(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Finds every binary, building the missing ones from Go modules (minutes when cold; the cache
 * makes later calls instant). Throws with what to do when neither works.
 */
export function ensureBinaries(log: (line: string) => void = () => {}): Record<BinaryName, string> {
  const names: BinaryName[] = ['etcd', 'kube-apiserver', 'kubectl', 'helm'];
  if (names.some((n) => !findBinary(n))) {
    if (!goAvailable()) {
      throw new Error(
        `control-plane binaries missing and no Go toolchain to build them: set KUBEBUILDER_ASSETS, ` +
          `or install Go and run "npm run test:prepare" (cache: ${cacheDir()})`,
      );
    }
    log(`building control-plane binaries into ${cacheDir()} (Kubernetes ${KUBERNETES_VERSION}, helm ${HELM_VERSION})`);
    const result = spawnSync('bash', [BUILD_SCRIPT, cacheDir()], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, K8S_VERSION: KUBERNETES_VERSION, HELM_VERSION },
    });
    if (result.status !== 0) throw new Error(`building control-plane binaries failed (exit ${result.status})`);
  }
  const found = {} as Record<BinaryName, string>;
  for (const name of names) {
    const path = findBinary(name);
    if (!path) throw new Error(`${name} not found after build (looked in ${candidates(name).join(', ')})`);
    found[name] = path;
  }
  return found;
}
