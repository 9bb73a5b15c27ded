// A lean Kubernetes REST client: JSON over node:https with ONE keep-alive agent (connections are
// kept and reused; client-node 2.0.1 opens a TLS connection per request). It speaks HTTP/1.1, so
// unlike client-go's HTTP/2 it holds one connection per request in flight at the peak, e.g. one
// per controller worker, each opened once. And a streaming watch. It exists so that the node agent never loads @kubernetes/client-node
// (≈ 50–80 MB of RSS for its generated API, see docs/node-agent.md); the controller uses it for its
// informers and claim writes as well. Errors of the API server carry the HTTP status and the
// server's Status object, which api-errors.ts reads.
import { readFileSync } from 'node:fs';
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { KubeApiError } from '../errors.ts';
import { http } from '../http-module.ts';
import { isKubeConfigLike, restConfigFromKubeConfig, type KubeConfigLike, type RestConfig } from './rest-config.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export const CONTENT_TYPE = {
  json: 'application/json',
  mergePatch: 'application/merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON (which is YAML too, for apply patches). */
  body?: unknown;
  contentType?: string;
  /** Abort the request after this long. Default 60 s. */
  timeoutMs?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T = unknown> {
  type: WatchEventType;
  /** The object; for ERROR, a metav1.Status. */
  object: T;
}

/**
 * A kept-alive connection idle this long is closed by us, before the API server closes it (90 s
 * idle in kube-apiserver 1.36, measured): a request sent as the server closes is lost with it.
 */
const IDLE_CONNECTION_MS = 60_000;
/** client-go re-reads a token file at most once a minute (cachingTokenSource). */
const TOKEN_FILE_TTL_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 60_000;

function encodeQuery(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

export interface KubeRestOptions {
  /**
   * Connections open at once, watches included; more requests wait for one. Default: no limit
   * (one per request in flight, HTTP/1.1 having no multiplexing).
   */
  maxConnections?: number;
}

export class KubeRest {
  readonly server: string;
  private readonly config: RestConfig;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpsRequest;
  private token: { value: string; readAt: number } | undefined;

  constructor(config: RestConfig, options: KubeRestOptions = {}) {
    this.config = config;
    this.server = config.server;
    const tls = new URL(config.server).protocol === 'https:';
    this.send = tls ? httpsRequest : http.request;
    const pool = { keepAlive: true, timeout: IDLE_CONNECTION_MS, maxSockets: options.maxConnections ?? Infinity };
    this.agent = tls
      ? new HttpsAgent({
          ...pool,
          ...(config.ca ? { ca: config.ca } : {}),
          ...(config.cert ? { cert: config.cert } : {}),
          ...(config.key ? { key: config.key } : {}),
          ...(config.tlsServerName ? { servername: config.tlsServerName } : {}),
          rejectUnauthorized: !config.insecureSkipTlsVerify,
        })
      : new http.Agent(pool);
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, query ? { query } : {});
  }

  post<T>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, { body, ...(query ? { query } : {}) });
  }

  /** contentType: CONTENT_TYPE.mergePatch or CONTENT_TYPE.apply (with a fieldManager in query). */
  patch<T>(path: string, body: unknown, contentType: string, query?: Query): Promise<T> {
    return this.request<T>('PATCH', path, { body, contentType, ...(query ? { query } : {}) });
  }

  delete<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('DELETE', path, query ? { query } : {});
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers = this.headers(payload === undefined ? undefined : (options.contentType ?? CONTENT_TYPE.json));
    const res = await this.open(method, path + encodeQuery(options.query), headers, payload, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const text = await readBody(res);
    if ((res.statusCode ?? 0) >= 400) throw new KubeApiError(method, path, res.statusCode ?? 0, parseJson(text));
    return parseJson(text) as T;
  }

  /**
   * Watches `path` (a collection) with `query` (resourceVersion, selectors, allowWatchBookmarks …):
   * each line of the stream is one event. Resolves when the server ends the stream, or at once
   * when `signal` aborts; rejects on a refused request or a broken connection.
   */
  async watch<T>(path: string, query: Query, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    let res: IncomingMessage;
    try {
      res = await this.open('GET', path + encodeQuery({ ...query, watch: true }), this.headers(undefined), undefined, 0, signal);
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    if ((res.statusCode ?? 0) >= 400) throw new KubeApiError('WATCH', path, res.statusCode ?? 0, parseJson(await readBody(res)));
    await new Promise<void>((resolve, reject) => {
      let pending = '';
      const onAbort = (): void => {
        res.destroy();
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        try {
          for (const line of lines) if (line.trim() !== '') onEvent(JSON.parse(line) as WatchEvent<T>);
        } catch (err) {
          res.destroy(err as Error);
        }
      });
      res.on('end', () => resolve());
      res.on('error', (err) => (signal.aborted ? resolve() : reject(err)));
      res.on('close', () => {
        signal.removeEventListener('abort', onAbort);
        if (!res.complete && !signal.aborted) reject(new Error(`watch ${path}: connection closed`));
      });
    });
  }

  /** Closes the kept-alive connections (open watches end when their signal aborts). */
  close(): void {
    this.agent.destroy();
  }

  private headers(contentType: string | undefined): Record<string, string> {
    const token = this.bearerToken();
    return {
      accept: CONTENT_TYPE.json,
      'user-agent': 'ecs-eni-controller',
      ...(contentType ? { 'content-type': contentType } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    };
  }

  private bearerToken(): string | undefined {
    const { token, tokenFile } = this.config;
    if (token || !tokenFile) return token;
    const now = Date.now();
    if (!this.token || now - this.token.readAt >= (this.config.tokenFileTtlMs ?? TOKEN_FILE_TTL_MS)) {
      this.token = { value: readFileSync(tokenFile, 'utf8').trim(), readAt: now };
    }
    return this.token.value;
  }

  private open(
    method: string,
    pathAndQuery: string,
    headers: Record<string, string>,
    payload: string | undefined,
    timeoutMs: number,
    signal?: AbortSignal,
    retried = false,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = this.send(`${this.server}${pathAndQuery}`, { method, headers, agent: this.agent, ...(signal ? { signal } : {}) }, (res) => {
        answered = true;
        resolve(res);
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed as idle just as this request went out on it:
        // the request never reached the server, so it goes once more, on a new connection
        // (Node's documented `reusedSocket` pattern; Go's transport does the same for client-go).
        if (!retried && !answered && req.reusedSocket && err.code === 'ECONNRESET' && !signal?.aborted) {
          resolve(this.open(method, pathAndQuery, headers, payload, timeoutMs, signal, true));
        } else {
          reject(err);
        }
      });
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${pathAndQuery}: no answer within ${timeoutMs} ms`)));
      req.end(payload);
    });
  }
}

/** What constructors of clients accept: the lean client itself, or a client-node KubeConfig. */
export type KubeSource = KubeRest | KubeConfigLike;

const fromKubeConfigs = new WeakMap<KubeConfigLike, KubeRest>();

/**
 * The lean client for `source`. A client-node KubeConfig (tests, the controller) gets one client
 * of its own, kept for its lifetime, so that all its users share one keep-alive pool.
 */
export function kubeRestOf(source: KubeSource): KubeRest {
  if (source instanceof KubeRest) return source;
  if (!isKubeConfigLike(source)) throw new TypeError('expected a KubeRest or a KubeConfig');
  let rest = fromKubeConfigs.get(source);
  if (!rest) fromKubeConfigs.set(source, (rest = new KubeRest(restConfigFromKubeConfig(source))));
  return rest;
}
