// The HTTP endpoints both roles serve: /metrics for Prometheus, /healthz for the kubelet's
// liveness probe and /readyz for its readiness probe (the Kubernetes components' paths).

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from './http-module.ts';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { InvalidListenAddressError } from './errors.ts';

export type Check = () => boolean | Promise<boolean>;

export interface HttpServerOptions {
  /** 'host:port', ':port' (every interface) or '[v6]:port'; port 0 picks a free one. */
  address: string;
  registry: Registry;
  /** /readyz answers 200 while this is true, 503 otherwise (or when it throws). */
  readiness: Check;
  /** /healthz answers 200 while this is true; default: always (the event loop answered). */
  liveness?: Check;
  logger?: Logger;
}

export interface RunningHttpServer {
  /** The port listened on (the one picked, for port 0). */
  port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

export interface ListenAddress {
  /** Undefined: every interface. */
  host: string | undefined;
  port: number;
}

export function parseListenAddress(address: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new InvalidListenAddressError(address);
  const host = match[1] ?? match[2];
  return { host: host === '' ? undefined : host, port };
}

type Reply = { status: number; body: string; contentType?: string };

async function runCheck(check: Check, failure: string): Promise<Reply> {
  try {
    return (await check()) ? { status: 200, body: 'ok\n' } : { status: 503, body: `${failure}\n` };
  } catch (err) {
    return { status: 503, body: `${failure}: ${err instanceof Error ? err.message : String(err)}\n` };
  }
}

async function route(path: string, options: HttpServerOptions): Promise<Reply> {
  switch (path) {
    case '/metrics':
      return { status: 200, body: await options.registry.metrics(), contentType: options.registry.contentType };
    case '/healthz':
      return options.liveness ? runCheck(options.liveness, 'not alive') : { status: 200, body: 'ok\n' };
    case '/readyz':
      return runCheck(options.readiness, 'not ready');
    default:
      return { status: 404, body: 'not found\n' };
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, options: HttpServerOptions): Promise<void> {
  let reply: Reply;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    reply = { status: 405, body: 'method not allowed\n' };
  } else {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    reply = await route(path, options).catch((err: unknown) => {
      options.logger?.error({ err, path }, 'HTTP handler failed');
      return { status: 500, body: 'internal error\n' };
    });
  }
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType ?? 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(reply.body),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : reply.body);
}

function listen(server: Server, { host, port }: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const address = parseListenAddress(options.address);
  const server = http.createServer((req, res) => void handle(req, res, options));
  await listen(server, address);
  const { port } = server.address() as AddressInfo;
  options.logger?.info({ address: options.address, port }, 'serving /metrics, /healthz and /readyz');
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
