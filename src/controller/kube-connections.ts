// @kubernetes/client-node 2.0.1 builds a new undici Agent for every API request it authenticates
// (KubeConfig.createDispatcher has no cache, unlike createAgent beside it), so every request opens
// a new TLS connection. Under a thousand claims the handshakes cost more CPU than all the rest of
// the controller, on both sides of the connection, and every reconcile waits for one. This keeps
// one Agent per TLS identity (server, CA, client certificate), so connections are kept alive and
// reused as client-go does. Tokens travel in headers and are not part of the key.
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';

type CreateDispatcher = (cluster: { server?: string } | null, agentOptions: Record<string, unknown>) => unknown;

const TLS_FIELDS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

function identity(cluster: { server?: string } | null, agentOptions: Record<string, unknown>): string {
  const hash = createHash('sha256').update(cluster?.server ?? '');
  for (const field of TLS_FIELDS) hash.update(`\0${field}=${String(agentOptions[field] ?? '')}`);
  return hash.digest('hex');
}

/** Makes `kubeConfig` reuse one connection pool per TLS identity. Idempotent. */
export function reuseApiConnections(kubeConfig: KubeConfig): KubeConfig {
  const target = kubeConfig as unknown as { createDispatcher: CreateDispatcher; reusesConnections?: boolean };
  if (target.reusesConnections) return kubeConfig;
  const create = target.createDispatcher.bind(kubeConfig);
  const pools = new Map<string, unknown>();
  target.createDispatcher = (cluster, agentOptions) => {
    const key = identity(cluster, agentOptions);
    if (!pools.has(key)) pools.set(key, create(cluster, agentOptions));
    return pools.get(key);
  };
  target.reusesConnections = true;
  return kubeConfig;
}
