// The last resort when no binaries can be found or built: a real K3s in a container, where a
// Docker engine answers. Not every ControlPlane operation is possible there (no apiserver restart).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from './controlplane.ts';

const K3S_IMAGE = 'rancher/k3s:v1.36.3-k3s1';

export function dockerAvailable(): Promise<boolean> {
  return new Promise((resolve) => execFile('docker', ['info'], { timeout: 5000 }, (err) => resolve(!err)));
}

export async function startK3sControlPlane(): Promise<ControlPlane> {
  const { K3sContainer } = await import('@testcontainers/k3s');
  const container = await new K3sContainer(K3S_IMAGE).start();
  const dir = mkdtempSync(join(tmpdir(), 'ecseni-k3s-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, container.getKubeConfig());
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const { serviceAccountToken, tokenKubeConfig } = await import('./controlplane.ts');
  const server = kubeConfig.getCurrentCluster()?.server ?? '';
  return {
    kubeConfig,
    kubeconfigPath,
    server,
    binaries: {},
    pids: () => [],
    serviceAccountKubeConfig: async (namespace, name) => {
      const token = await serviceAccountToken(kubeConfig, namespace, name);
      const kc = tokenKubeConfig(server, '', `system:serviceaccount:${namespace}:${name}`, token);
      const cluster = kubeConfig.getCurrentCluster();
      if (cluster?.caData) kc.clusters[0] = { ...kc.clusters[0]!, caData: cluster.caData, caFile: undefined };
      return kc;
    },
    restartApiServer: () => Promise.reject(new Error('restartApiServer is not available on K3s')),
    stop: async () => {
      await container.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
