// The admin API under /_sim/ on the API's own listener: unauthenticated, so it answers loopback
// peers only. JSON in and out; errors as {Code, Message}.
//   GET    /_sim/counts                      {counts: {Action: {Code: n}}}
//   POST   /_sim/counts/reset
//   GET    /_sim/enis                        {enis: SimEni[]}
//   GET    /_sim/enis/{id}                   {eni: SimEni | null, history: [{status, at}]}
//   GET    /_sim/instances                   {instances}
//   POST   /_sim/instances                   InstanceSpec → {instance}
//   POST   /_sim/instances/{id}/{release|stop|start}
//   GET    /_sim/faults                      {faults}
//   POST   /_sim/faults                      FaultSpec → {fault}
//   DELETE /_sim/faults[/{id}]
//   GET    /_sim/rate-limits                 {perMinute}
//   PUT    /_sim/rate-limits                 {perMinute?, profile?: 'none' | 'realistic'}
//   GET    /_sim/events                      attach/detach events, one JSON object a line, as they happen
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimError } from './errors.ts';
import { FaultSpecError } from './faults.ts';
import type { FaultSpec } from './faults.ts';
import type { RateLimitProfile, RateLimitsPerMinute } from './rate-limits.ts';
import type { Simulator } from './simulator.ts';
import { WorldError } from './world.ts';
import type { InstanceSpec } from './world.ts';

export const ADMIN_PREFIX = '/_sim/';

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

class AdminError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

type Reply = { status: number; body?: unknown };
type Route = (sim: Simulator, match: string[], body: unknown) => Promise<Reply> | Reply;

const ok = (body?: unknown): Reply => (body === undefined ? { status: 204 } : { status: 200, body });

const INSTANCE_ACTIONS: Record<string, (sim: Simulator, id: string) => Promise<void>> = {
  release: (sim, id) => sim.releaseInstance(id),
  stop: (sim, id) => sim.setInstanceStatus(id, 'Stopped'),
  start: (sim, id) => sim.setInstanceStatus(id, 'Running'),
};

const ROUTES: [method: string, path: RegExp, route: Route][] = [
  ['GET', /^counts$/, (sim) => ok({ counts: sim.callCounts() })],
  ['POST', /^counts\/reset$/, (sim) => (sim.resetCounts(), ok())],
  ['GET', /^enis$/, (sim) => ok({ enis: sim.listEnis() })],
  [
    'GET',
    /^enis\/([^/]+)$/,
    (sim, [id = '']) => {
      const history = sim.eniHistory(id);
      if (history.length === 0) throw new AdminError(404, 'InvalidEniId.NotFound', `no ENI ${id} has existed`);
      return ok({ eni: sim.getEni(id) ?? null, history });
    },
  ],
  ['GET', /^instances$/, (sim) => ok({ instances: sim.listInstances() })],
  ['POST', /^instances$/, async (sim, _m, body) => ({ status: 201, body: { instance: await sim.addInstance(body as InstanceSpec) } })],
  [
    'POST',
    /^instances\/([^/]+)\/(release|stop|start)$/,
    async (sim, [id = '', verb = '']) => {
      await (INSTANCE_ACTIONS[verb] as (sim: Simulator, id: string) => Promise<void>)(sim, id);
      return ok();
    },
  ],
  ['GET', /^faults$/, (sim) => ok({ faults: sim.listFaults() })],
  ['POST', /^faults$/, (sim, _m, body) => ({ status: 201, body: { fault: sim.addFault(body as FaultSpec) } })],
  ['DELETE', /^faults$/, (sim) => (sim.clearFaults(), ok())],
  [
    'DELETE',
    /^faults\/([^/]+)$/,
    (sim, [id = '']) => {
      if (!sim.removeFault(id)) throw new AdminError(404, 'FaultNotFound', `no fault ${id}`);
      return ok();
    },
  ],
  ['GET', /^rate-limits$/, (sim) => ok({ perMinute: sim.rateLimits.current() })],
  [
    'PUT',
    /^rate-limits$/,
    (sim, _m, body) => {
      const { perMinute = {}, profile = 'none' } = (body ?? {}) as { perMinute?: RateLimitsPerMinute; profile?: RateLimitProfile };
      if (profile !== 'none' && profile !== 'realistic') throw new AdminError(400, 'InvalidParameter', 'profile is none or realistic');
      sim.setRateLimits(perMinute, profile);
      return ok();
    },
  ],
];

function send(res: ServerResponse, reply: Reply): void {
  if (reply.body === undefined) {
    res.writeHead(reply.status).end();
    return;
  }
  res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
}

function parseBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new AdminError(400, 'InvalidParameter', 'the body is not JSON');
  }
}

function toReply(error: unknown): Reply {
  if (error instanceof AdminError) return { status: error.status, body: { Code: error.code, Message: error.message } };
  if (error instanceof SimError) return { status: error.status, body: { Code: error.code, Message: error.message } };
  if (error instanceof FaultSpecError || error instanceof WorldError || error instanceof RangeError) {
    return { status: 400, body: { Code: 'InvalidParameter', Message: error.message } };
  }
  console.error('simulator: admin API failed', error);
  return { status: 500, body: { Code: 'InternalError', Message: String(error) } };
}

/** Streams attach/detach events until the client goes away. */
function streamEvents(sim: Simulator, req: IncomingMessage, res: ServerResponse): void {
  // Subscribed before the headers go out: a client that has the headers misses no event.
  const unsubscribe = sim.subscribe((event) => res.write(`${JSON.stringify(event)}\n`));
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  res.flushHeaders();
  req.socket.setTimeout(0);
  res.on('close', unsubscribe);
}

export async function serveAdmin(sim: Simulator, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  if (!isLoopback(req.socket.remoteAddress)) {
    send(res, { status: 403, body: { Code: 'Forbidden', Message: 'the simulator admin API answers loopback clients only' } });
    return;
  }
  const path = (req.url ?? '').split('?')[0]?.slice(ADMIN_PREFIX.length) ?? '';
  if (req.method === 'GET' && path === 'events') {
    streamEvents(sim, req, res);
    return;
  }
  const candidates = ROUTES.filter(([, pattern]) => pattern.test(path));
  const route = candidates.find(([method]) => method === req.method);
  if (!route) {
    const status = candidates.length > 0 ? 405 : 404;
    send(res, { status, body: { Code: status === 404 ? 'NotFound' : 'MethodNotAllowed', Message: `${req.method} ${req.url}` } });
    return;
  }
  try {
    const match = (route[1].exec(path) as RegExpExecArray).slice(1).map(decodeURIComponent);
    send(res, await route[2](sim, match, parseBody(body)));
  } catch (error) {
    send(res, toReply(error));
  }
}
