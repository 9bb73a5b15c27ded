// One API request from arrival to answer: added latency → signature, date and nonce → known
// action → rate limit → injected fault → the action → state saved → answer. Every request is
// counted under its action and result code. Unsigned or throttled requests never change state.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiRequest } from './auth.ts';
import { CONNECTION_DROPPED, OK } from './counts.ts';
import { SimError } from './errors.ts';
import { faultStatus } from './faults.ts';
import type { Fault } from './faults.ts';
import type { Simulator } from './simulator.ts';

export type ApiOutcome =
  | { kind: 'answer'; status: number; headers: Record<string, string>; body: string }
  | { kind: 'drop' };

function answer(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): ApiOutcome {
  return { kind: 'answer', status, headers: { 'content-type': 'application/json;charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

function errorAnswer(requestId: string, error: SimError): ApiOutcome {
  const headers: Record<string, string> = error.retryAfterMs === undefined ? {} : { 'x-acs-retry-after': String(error.retryAfterMs) };
  return answer(error.status, { RequestId: requestId, Code: error.code, Message: error.message }, headers);
}

function faultError(fault: Fault): SimError {
  const code = fault.errorCode as string;
  const retryAfterMs = code.includes('Throttling') ? (fault.retryAfterMs ?? 1000) : fault.retryAfterMs;
  return new SimError(code, fault.message ?? `Injected fault ${fault.id}.`, {
    status: faultStatus(fault),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

function header(request: ApiRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function serveApi(sim: Simulator, request: ApiRequest): Promise<ApiOutcome> {
  const requestId = randomUUID().toUpperCase();
  const action = header(request, 'x-acs-action') ?? '(none)';
  const version = header(request, 'x-acs-version');
  try {
    if (sim.world.latencyMs.api > 0) await sleep(sim.world.latencyMs.api);
    sim.auth.verify(request);
    if (!sim.isKnownAction(action, version)) throw new SimError('InvalidAction.NotFound', `Specified api ${action} (version ${String(version)}) is not found.`);
    sim.rateLimits.admit(action);
    const fault = sim.faults.pick(action);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.errorCode !== undefined) throw faultError(fault);
    if (fault?.dropConnection === 'beforeCommit') {
      sim.counts.add(action, CONNECTION_DROPPED);
      return { kind: 'drop' };
    }
    const body = sim.invoke(action, version, request.query);
    if (sim.isMutating(action, version)) await sim.persist();
    sim.counts.add(action, fault?.dropConnection === 'afterCommit' ? CONNECTION_DROPPED : OK);
    if (fault?.dropConnection === 'afterCommit') return { kind: 'drop' };
    return answer(200, { RequestId: requestId, ...body });
  } catch (error) {
    const simError = error instanceof SimError ? error : new SimError('InternalError', 'The request processing has failed due to some unknown error.');
    if (!(error instanceof SimError)) console.error('simulator: internal error in', action, error);
    sim.counts.add(action, simError.code);
    return errorAnswer(requestId, simError);
  }
}
