// `npm run cluster`: a local control plane in the foreground, with the project's CRDs installed
// and an admin kubeconfig at .cluster/kubeconfig. Ctrl-C stops everything.
import { copyFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startControlPlane } from './controlplane.ts';
import { applyCrds } from './crds.ts';

const cp = await startControlPlane({ log: (line) => console.log(line) });
await applyCrds(cp.kubeConfig);
mkdirSync('.cluster', { recursive: true });
const kubeconfig = resolve('.cluster/kubeconfig');
copyFileSync(cp.kubeconfigPath, kubeconfig);
console.log(`control plane ready at ${cp.server} (CRDs from crds/ installed)

  export KUBECONFIG=${kubeconfig}
  kubectl get networkinterfaceclaims

Ctrl-C stops it.`);

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  console.log('stopping control plane');
  void cp.stop().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
setInterval(() => {}, 1 << 30);
