// Injected faults, for tests: by action (or every action), with a probability or a number of
// times; each one answers with an error code, adds a delay, and/or cuts the connection before or
// after the change is committed. The first matching fault that fires wins.
import { statusOf } from './errors.ts';

export interface FaultSpec {
  /** An action name, or '*' for every action. */
  action: string;
  /** Answer with this ECS error code instead of doing the call. */
  errorCode?: string;
  /** Default: the code's documented status (500 for codes the simulator does not know). */
  httpStatus?: number;
  message?: string;
  /** Milliseconds to wait before answering (alone: a slow but successful call). */
  delayMs?: number;
  /** For Throttling codes: the x-acs-retry-after header, in milliseconds. */
  retryAfterMs?: number;
  /**
   * Cut the connection without an answer: 'beforeCommit' (nothing changes) or 'afterCommit'
   * (the change happens, the client never hears of it).
   */
  dropConnection?: 'beforeCommit' | 'afterCommit';
  /** Chance that a matching call is hit, 0 < p ≤ 1. Default 1. */
  probability?: number;
  /** Hit this many calls, then expire. Default: no limit. */
  count?: number;
}

export interface Fault extends FaultSpec {
  id: string;
  /** Calls hit so far. */
  fired: number;
}

export class FaultSpecError extends Error {
  readonly code = 'SIM_INVALID_FAULT';
}

function checkSpec(spec: FaultSpec): void {
  const fail = (why: string): never => {
    throw new FaultSpecError(`invalid fault: ${why}`);
  };
  if (typeof spec?.action !== 'string' || spec.action === '') fail('action is required');
  if (spec.errorCode !== undefined && (typeof spec.errorCode !== 'string' || spec.errorCode === '')) fail('errorCode must be a non-empty string');
  if (spec.errorCode !== undefined && spec.dropConnection !== undefined) fail('errorCode and dropConnection exclude each other');
  if (spec.dropConnection !== undefined && !['beforeCommit', 'afterCommit'].includes(spec.dropConnection)) fail('dropConnection is beforeCommit or afterCommit');
  if (spec.errorCode === undefined && spec.dropConnection === undefined && !((spec.delayMs ?? 0) > 0)) fail('give errorCode, dropConnection or delayMs');
  if (spec.probability !== undefined && !(spec.probability > 0 && spec.probability <= 1)) fail('probability must be in (0, 1]');
  if (spec.count !== undefined && !(Number.isInteger(spec.count) && spec.count > 0)) fail('count must be a positive integer');
  for (const key of ['delayMs', 'retryAfterMs'] as const) {
    if (spec[key] !== undefined && !(Number.isFinite(spec[key]) && spec[key] >= 0)) fail(`${key} must be a number ≥ 0`);
  }
  if (spec.httpStatus !== undefined && !(Number.isInteger(spec.httpStatus) && spec.httpStatus >= 400 && spec.httpStatus <= 599)) fail('httpStatus must be 400 to 599');
}

export class Faults {
  private faults: Fault[] = [];
  private nextId = 1;
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  add(spec: FaultSpec): Fault {
    checkSpec(spec);
    const fault: Fault = { ...spec, id: `fault-${this.nextId++}`, fired: 0 };
    this.faults.push(fault);
    return { ...fault };
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** The fault that hits this call, if any; counts it and expires it when its count is spent. */
  pick(action: string): Fault | undefined {
    for (const fault of this.faults) {
      if (fault.action !== '*' && fault.action !== action) continue;
      if (fault.probability !== undefined && this.random() >= fault.probability) continue;
      fault.fired++;
      if (fault.count !== undefined && fault.fired >= fault.count) this.remove(fault.id);
      return { ...fault };
    }
    return undefined;
  }
}

export function faultStatus(fault: Fault): number {
  return fault.httpStatus ?? statusOf(fault.errorCode ?? 'InternalError');
}
