// A real Kubernetes control plane for tests and for `npm run cluster`: etcd and kube-apiserver on
// loopback, random ports, a temp dir, RBAC on, client-certificate admin, service-account tokens.
// The same flags as controller-runtime's envtest (../shared/reference/controller-patterns.md).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';
import { ensureBinaries, type BinaryName } from './binaries.ts';
import { createPki, type Pki } from './pki.ts';
import { spawnGroup, type GroupProcess } from './process-group.ts';
import { startK3sControlPlane, dockerAvailable } from './k3s.ts';

export interface ControlPlane {
  /** Admin (system:masters) client configuration. */
  readonly kubeConfig: KubeConfig;
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly binaries: Partial<Record<BinaryName, string>>;
  /** Process ids of etcd and kube-apiserver (empty for K3s), for tests that check teardown. */
  pids(): number[];
  /** A client acting as the ServiceAccount (created when missing), with a token from the TokenRequest API. */
  serviceAccountKubeConfig(namespace: string, name: string): Promise<KubeConfig>;
  restartApiServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: (line: string) => void;
  /** Keep the temp dir after stop (for debugging). */
  keepDir?: boolean;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function httpsGet(url: string, pki: Pki): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey), timeout: 2000,
    }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, proc?: GroupProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc && proc.child.exitCode !== null) {
      throw new Error(`${proc.name} exited (${proc.child.exitCode}) while waiting for ${what}:\n${proc.logTail()}`);
    }
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${proc ? `:\n${proc.logTail()}` : ''}`);
}

function adminKubeconfigYaml(server: string, pki: Pki): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'ecseni-test', cluster: { server, 'certificate-authority': pki.caCert } }],
    users: [{ name: 'admin', user: { 'client-certificate': pki.adminCert, 'client-key': pki.adminKey } }],
    contexts: [{ name: 'admin', context: { cluster: 'ecseni-test', user: 'admin' } }],
    'current-context': 'admin',
  }, null, 2);
}

/** A kubeconfig that authenticates with a bearer token, as a ServiceAccount's pod would. */
export function tokenKubeConfig(server: string, caFile: string, user: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'ecseni-test', server, caFile, skipTLSVerify: false }],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: 'ecseni-test', user }],
    currentContext: user,
  });
  return kc;
}

export async function serviceAccountToken(admin: KubeConfig, namespace: string, name: string): Promise<string> {
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(ignoreConflict);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } }).catch(ignoreConflict);
  const res = await core.createNamespacedServiceAccountToken({
    namespace, name, body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = res.status?.token;
  if (!token) throw new Error(`no token issued for ${namespace}/${name}`);
  return token;
}

/** WATCH requests on `resource` the API server holds open now, by its own apiserver_longrunning_requests gauge. */
export async function openWatches(admin: KubeConfig, resource: string): Promise<number> {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('no cluster');
  const options: Parameters<typeof request>[1] = { method: 'GET' };
  await admin.applyToHTTPSOptions(options);
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(`${cluster.server}/metrics`, options, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
  return text
    .split('\n')
    .filter((l) => l.startsWith('apiserver_longrunning_requests{') && l.includes(`resource="${resource}"`) && l.includes('verb="WATCH"'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

function ignoreConflict(err: unknown): void {
  if ((err as { code?: number }).code !== 409) throw err;
}

export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  let binaries: Record<BinaryName, string>;
  try {
    binaries = ensureBinaries(options.log);
  } catch (err) {
    if (await dockerAvailable()) return startK3sControlPlane();
    throw err;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ecseni-cp-'));
  const pki = createPki(dir);
  const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;

  const etcd = spawnGroup('etcd', binaries.etcd, [
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ], { logFile: join(dir, 'etcd.log') });

  const apiArgs = [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    `--cert-dir=${dir}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--secure-port=${apiPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    '--disable-admission-plugins=ServiceAccount',
    '--authorization-mode=RBAC',
    `--service-account-issuer=${server}/`,
    `--service-account-key-file=${pki.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${pki.serviceAccountPrivateKey}`,
    `--client-ca-file=${pki.caCert}`,
    '--endpoint-reconciler-type=none',
    '--v=1',
  ];
  let apiserver: GroupProcess | undefined;
  const startApiServer = async (): Promise<void> => {
    apiserver = spawnGroup('kube-apiserver', binaries['kube-apiserver'], apiArgs, { logFile: join(dir, 'kube-apiserver.log') });
    await waitFor('kube-apiserver /readyz', async () => (await httpsGet(`${server}/readyz`, pki)).status === 200, 60_000, apiserver);
  };

  const stop = async (): Promise<void> => {
    await apiserver?.stop();
    await etcd.stop();
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor('etcd', async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, 30_000, etcd);
    await startApiServer();
  } catch (err) {
    await stop();
    throw err;
  }

  const kubeconfigPath = join(dir, 'admin.kubeconfig');
  writeFileSync(kubeconfigPath, adminKubeconfigYaml(server, pki));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);

  return {
    kubeConfig,
    kubeconfigPath,
    server,
    binaries,
    pids: () => [etcd.pid, ...(apiserver ? [apiserver.pid] : [])],
    serviceAccountKubeConfig: async (namespace, name) =>
      tokenKubeConfig(server, pki.caCert, `system:serviceaccount:${namespace}:${name}`, await serviceAccountToken(kubeConfig, namespace, name)),
    restartApiServer: async () => {
      await apiserver?.stop();
      await startApiServer();
    },
    stop,
  };
}
