// Installs the project's CRDs (crds/, the one source) into a control plane and waits until the
// API server serves them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiextensionsV1Api, CustomObjectsApi, loadAllYaml, type KubeConfig, type V1CustomResourceDefinition,
} from '@kubernetes/client-node';

export const CRD_DIR = new URL('../../crds/', import.meta.url).pathname;

/**
 * The CRDs as typed objects. The YAML's wire names (`x-kubernetes-validations`, …) must be
 * deserialised by client-node's loadAllYaml: the typed client serialises only the fields it knows
 * by their TypeScript names and would silently drop CEL rules and list types.
 */
export function readCrds(dir = CRD_DIR): V1CustomResourceDefinition[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => loadAllYaml(readFileSync(join(dir, f), 'utf8')) as V1CustomResourceDefinition[])
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
    await waitServed(kubeConfig, crd);
  }
}

/** A new CRD answers 429 "storage is (re)initializing" for a moment after Established. */
async function waitServed(kubeConfig: KubeConfig, crd: V1CustomResourceDefinition): Promise<void> {
  const objects = kubeConfig.makeApiClient(CustomObjectsApi);
  const version = crd.spec.versions.find((v) => v.storage)?.name ?? crd.spec.versions[0]!.name;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await objects.listClusterCustomObject({ group: crd.spec.group, version, plural: crd.spec.names.plural, limit: 1 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function waitEstablished(api: ApiextensionsV1Api, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const crd = await api.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`CRD ${name} not Established within 30 s`);
}
