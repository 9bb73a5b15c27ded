// The lean client's configuration: which API server, which CA, which credentials. Read from a
// kubeconfig file (parsed with `yaml`, kubectl's semantics for what it supports), from the pod's
// ServiceAccount, or from a client-node KubeConfig that the caller already holds (the controller:
// one parser of kubeconfig semantics per process). Supported credentials: client certificates,
// a bearer token, or a token file re-read as client-go does. Anything else (exec plugins,
// auth-provider, basic auth) is refused with a coded error: a silent fallback would send requests
// unauthenticated and surface as puzzling 401/403s.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import type * as Yaml from 'yaml';
import { KubeConfigNotFoundError, KubeConfigUnsupportedError } from '../errors.ts';
import { resolveKubeConfigSource } from './config-source.ts';

export interface RestConfig {
  /** e.g. https://10.0.0.1:6443, without a trailing slash. */
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** A fixed bearer token. */
  token?: string;
  /** A file holding the bearer token, re-read at most every tokenFileTtlMs (it is rotated). */
  tokenFile?: string;
  /** How long a token read from tokenFile is used before the file is read again. Default 60 s, client-go's. */
  tokenFileTtlMs?: number;
  insecureSkipTlsVerify?: boolean;
  /** SNI and the name checked against the server's certificate, when not the server's host. */
  tlsServerName?: string;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

interface Named<T> {
  name: string;
  value: T;
}

interface ClusterEntry {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}

interface UserEntry {
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  token?: string;
  tokenFile?: string;
  exec?: unknown;
  'auth-provider'?: { name?: string };
  username?: string;
  password?: string;
  as?: string;
}

interface ContextEntry {
  cluster?: string;
  user?: string;
}

/** A kubeconfig's entries with file paths made absolute (relative to the file, as kubectl does). */
interface ParsedKubeConfig {
  clusters: Named<ClusterEntry>[];
  users: Named<UserEntry>[];
  contexts: Named<ContextEntry>[];
  currentContext?: string;
}

const PATH_FIELDS = ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile'] as const;

function entries<T>(list: unknown, field: string, dir: string): Named<T>[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: Record<string, unknown> | null) => {
    const name = item?.name;
    const value = item?.[field] as Record<string, unknown> | undefined;
    if (typeof name !== 'string' || !value) return [];
    const copy: Record<string, unknown> = { ...value };
    for (const key of PATH_FIELDS) {
      const path = copy[key];
      if (typeof path === 'string' && path !== '' && !isAbsolute(path)) copy[key] = resolve(dir, path);
    }
    return [{ name, value: copy as T }];
  });
}

/**
 * A kubeconfig's text as data. JSON (which kubeconfig writers often produce) is read without the
 * `yaml` package: loading it costs ≈ 3 MB of RSS, and in a pod the agent reads no file at all.
 */
function parseDocument(text: string): unknown {
  if (text.trimStart().startsWith('{')) return JSON.parse(text);
  const yaml = createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yaml.parse(text);
}

/** One kubeconfig document (YAML or JSON); `file` resolves relative paths. */
export function parseKubeConfig(text: string, file: string): ParsedKubeConfig {
  const doc = (parseDocument(text) ?? {}) as Record<string, unknown>;
  const dir = dirname(file);
  const current = doc['current-context'];
  return {
    clusters: entries<ClusterEntry>(doc.clusters, 'cluster', dir),
    users: entries<UserEntry>(doc.users, 'user', dir),
    contexts: entries<ContextEntry>(doc.contexts, 'context', dir),
    ...(typeof current === 'string' && current !== '' ? { currentContext: current } : {}),
  };
}

/** kubectl's rule for several KUBECONFIG files: the first to define a name (or the current context) wins. */
export function mergeKubeConfigs(configs: ParsedKubeConfig[]): ParsedKubeConfig {
  const merged: ParsedKubeConfig = { clusters: [], users: [], contexts: [] };
  const add = <T>(into: Named<T>[], more: Named<T>[]): void => {
    for (const entry of more) if (!into.some((e) => e.name === entry.name)) into.push(entry);
  };
  for (const config of configs) {
    add(merged.clusters, config.clusters);
    add(merged.users, config.users);
    add(merged.contexts, config.contexts);
    if (merged.currentContext === undefined && config.currentContext !== undefined) merged.currentContext = config.currentContext;
  }
  return merged;
}

function readData(data: string | undefined, file: string | undefined): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  return file ? readFileSync(file) : undefined;
}

function credentialsOf(user: UserEntry, userName: string): Pick<RestConfig, 'cert' | 'key' | 'token' | 'tokenFile'> {
  if (user.exec) throw new KubeConfigUnsupportedError(`user "${userName}": an exec credential plugin`);
  if (user['auth-provider']) throw new KubeConfigUnsupportedError(`user "${userName}": auth-provider "${user['auth-provider'].name ?? ''}"`);
  if (user.username || user.password) throw new KubeConfigUnsupportedError(`user "${userName}": basic authentication`);
  if (user.as) throw new KubeConfigUnsupportedError(`user "${userName}": impersonation ("as")`);
  const cert = readData(user['client-certificate-data'], user['client-certificate']);
  const key = readData(user['client-key-data'], user['client-key']);
  return {
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(user.token ? { token: user.token } : {}),
    ...(!user.token && user.tokenFile ? { tokenFile: user.tokenFile } : {}),
  };
}

/** The current context's cluster and user as a RestConfig; undefined when it names no cluster. */
export function restConfigOf(config: ParsedKubeConfig): RestConfig | undefined {
  const context = config.contexts.find((c) => c.name === config.currentContext)?.value;
  const cluster = config.clusters.find((c) => c.name === context?.cluster)?.value;
  if (!context || !cluster?.server) return undefined;
  if (cluster['proxy-url']) throw new KubeConfigUnsupportedError(`cluster "${context.cluster ?? ''}": proxy-url`);
  const user = config.users.find((u) => u.name === context.user);
  const ca = readData(cluster['certificate-authority-data'], cluster['certificate-authority']);
  return {
    server: cluster.server.replace(/\/$/, ''),
    ...(ca ? { ca } : {}),
    ...(cluster['insecure-skip-tls-verify'] === true ? { insecureSkipTlsVerify: true } : {}),
    ...(cluster['tls-server-name'] ? { tlsServerName: cluster['tls-server-name'] } : {}),
    ...(user ? credentialsOf(user.value, user.name) : {}),
  };
}

/** The pod's ServiceAccount, as client-go's InClusterConfig: the token file is re-read as it rotates. */
export function inClusterRestConfig(env: NodeJS.ProcessEnv, dir = SERVICE_ACCOUNT_DIR): RestConfig {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return { server: `https://${hostPart}:${port}`, ca: readFileSync(`${dir}/ca.crt`), tokenFile: `${dir}/token` };
}

/**
 * The lean client's configuration from the same sources as loadKubeConfig (config-source.ts):
 * an explicit path, KUBECONFIG's files (merged as kubectl does), the ServiceAccount, ~/.kube/config.
 */
export function loadRestConfig(path?: string, env: NodeJS.ProcessEnv = process.env): RestConfig {
  const source = resolveKubeConfigSource(path, env, env.HOME ?? homedir());
  if (source.kind === 'none') throw new KubeConfigNotFoundError(source.tried);
  if (source.kind === 'in-cluster') return inClusterRestConfig(env);
  const merged = mergeKubeConfigs(source.paths.map((file) => parseKubeConfig(readFileSync(file, 'utf8'), file)));
  const config = restConfigOf(merged);
  if (!config) throw new KubeConfigNotFoundError(source.paths.map((p) => `${p} (no current cluster)`));
  return config;
}

/** The parts of client-node's KubeConfig read here: duck-typed, so that this file never loads client-node. */
export interface KubeConfigLike {
  getCurrentCluster(): { name: string; server: string; caData?: string; caFile?: string; skipTLSVerify?: boolean; tlsServerName?: string; proxyUrl?: string } | null;
  getCurrentUser(): {
    name: string;
    certData?: string | null;
    certFile?: string | null;
    keyData?: string | null;
    keyFile?: string | null;
    token?: string | null;
    exec?: unknown;
    authProvider?: { name?: string; config?: Record<string, string> } | null;
    username?: string | null;
    password?: string | null;
    impersonateUser?: string | null;
  } | null;
}

export function isKubeConfigLike(value: unknown): value is KubeConfigLike {
  return typeof (value as KubeConfigLike | null)?.getCurrentCluster === 'function';
}

/**
 * The RestConfig of a client-node KubeConfig's current context (already parsed by client-node).
 * Its in-cluster user is the auth-provider "tokenFile", which is what it means here too.
 */
export function restConfigFromKubeConfig(kc: KubeConfigLike): RestConfig {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeConfigNotFoundError(['the given KubeConfig (no current cluster)']);
  const user = kc.getCurrentUser();
  const provider = user?.authProvider;
  const tokenFile = provider?.name === 'tokenFile' ? provider.config?.tokenFile : undefined;
  const entry: UserEntry = {
    ...(user?.certData ? { 'client-certificate-data': user.certData } : {}),
    ...(user?.certFile ? { 'client-certificate': user.certFile } : {}),
    ...(user?.keyData ? { 'client-key-data': user.keyData } : {}),
    ...(user?.keyFile ? { 'client-key': user.keyFile } : {}),
    ...(user?.token ? { token: user.token } : {}),
    ...(tokenFile ? { tokenFile } : {}),
    ...(user?.exec ? { exec: user.exec } : {}),
    ...(provider && !tokenFile ? { 'auth-provider': provider } : {}),
    ...(user?.username ? { username: user.username } : {}),
    ...(user?.password ? { password: user.password } : {}),
    ...(user?.impersonateUser ? { as: user.impersonateUser } : {}),
  };
  return restConfigOf({
    clusters: [{ name: 'c', value: {
      server: cluster.server,
      ...(cluster.caData ? { 'certificate-authority-data': cluster.caData } : {}),
      ...(cluster.caFile ? { 'certificate-authority': cluster.caFile } : {}),
      ...(cluster.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}),
      ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}),
      ...(cluster.proxyUrl ? { 'proxy-url': cluster.proxyUrl } : {}),
    } }],
    users: user ? [{ name: user.name, value: entry }] : [],
    contexts: [{ name: 'c', value: { cluster: 'c', ...(user ? { user: user.name } : {}) } }],
    currentContext: 'c',
  }) as RestConfig;
}
