// The one listener: /_sim/… goes to the admin API, everything else is an ECS/VPC API request.
// Node's HTTP server with keep-alive; a "drop" outcome destroys the socket without an answer.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ADMIN_PREFIX, serveAdmin } from './admin-api.ts';
import { serveApi } from './api-pipeline.ts';
import { parseQuery } from './signature.ts';
import type { Simulator } from './simulator.ts';

const MAX_BODY_BYTES = 1 << 20;

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' }).end(JSON.stringify(body));
}

/** Form-encoded bodies carry parameters too (RPC style); the query wins on a clash. */
function parametersOf(req: IncomingMessage, rawQuery: string, body: Buffer): Record<string, string> | undefined {
  const query = parseQuery(rawQuery);
  const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  if (!isForm || body.length === 0) return query;
  const form = parseQuery(body.toString('utf8'));
  return query && form ? { ...form, ...query } : undefined;
}

async function handle(sim: Simulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  if (body === undefined) {
    sendJson(res, 413, { Code: 'InvalidParameter', Message: 'request body too large' });
    return;
  }
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const path = queryStart < 0 ? url : url.slice(0, queryStart);
  if (path.startsWith(ADMIN_PREFIX)) {
    await serveAdmin(sim, req, res, body);
    return;
  }
  const query = parametersOf(req, queryStart < 0 ? '' : url.slice(queryStart + 1), body);
  if (!query) {
    sendJson(res, 400, { Code: 'InvalidParameter', Message: 'malformed percent-encoding in the parameters' });
    return;
  }
  const outcome = await serveApi(sim, { method: req.method ?? 'GET', path, query, headers: req.headers, body });
  if (outcome.kind === 'drop') {
    req.socket.destroy();
    return;
  }
  res.writeHead(outcome.status, outcome.headers).end(outcome.body);
}

export function createSimServer(sim: Simulator): Server {
  return createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    handle(sim, req, res).catch((error: unknown) => {
      console.error('simulator: request failed', error);
      if (!res.headersSent) sendJson(res, 500, { Code: 'InternalError', Message: 'internal error' });
      else res.destroy();
    });
  });
}
