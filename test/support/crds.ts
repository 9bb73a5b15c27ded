// Installs the project's CRDs (crds/, the one source) into a control plane and waits until the
// API server serves them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export const CRD_DIR = new URL('../../crds/', import.meta.url).pathname;

export function readCrds(dir = CRD_DIR): V1CustomResourceDefinition[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as V1CustomResourceDefinition))
    .filter((d) => d?.kind === 'CustomResourceDefinition');
}

export async function applyCrds(kubeConfig: KubeConfig, dir = CRD_DIR): Promise<void> {
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  for (const crd of readCrds(dir)) {
    const name = crd.metadata?.name ?? '';
    try {
      await api.createCustomResourceDefinition({ body: crd });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      const existing = await api.readCustomResourceDefinition({ name });
      await api.replaceCustomResourceDefinition({ name, body: { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion } } });
    }
    await waitEstablished(api, name);
  }
}

async function waitEstablished(api: ApiextensionsV1Api, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const crd = await api.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) {
      // Discovery lags Established by a moment; a short pause saves every caller a retry.
      await new Promise((r) => setTimeout(r, 500));
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`CRD ${name} not Established within 30 s`);
}
