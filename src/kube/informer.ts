// A cache of one kind of object that keeps itself true: a reflector (list, then watch from the
// list's resourceVersion) over a small source interface, with what client-go's reflector and
// informer add on top:
// - events: ADDED/MODIFIED → add or update (update only when the resourceVersion moved),
//   DELETED → delete, BOOKMARK → a fresher resourceVersion and a sign of life;
// - a clean close of the watch → re-watch at once from the last resourceVersion; a 410 Gone (as a
//   refused watch or an ERROR event) → relist, emitting `delete` for objects that vanished;
// - any other error (connection refused, 401/403, a failed list) → relist after a backoff that
//   never storms the API server (1 s doubling to 30 s, jitter downwards, reset after 2 min without
//   failures, as client-go's reflector);
// - a watchdog: when nothing (not even a bookmark) has arrived for `watchdogMs`, the watch is ended
//   and the collection relisted (informers are known to stall silently on half-open connections:
//   kubernetes-client/javascript #364, #596, #958). The API server only sends a bookmark when the
//   store's revision has moved past the watch's (kube-apiserver 1.36, cacheWatcher.process), so a
//   collection where nothing changes is relisted every `watchdogMs`: one list per 5 min, the price
//   of catching a stall;
// - a server-side watch timeout of 5–10 min, at random, as client-go's reflector asks;
// - a periodic resync that re-emits `update` for every cached object;
// - stop() that leaves no request open, even one a backoff delay was about to start.
import type { Logger } from 'pino';
import { realClock, type Cancel, type Clock } from './clock.ts';
import { apiStatusCode } from './api-errors.ts';
import type { KubeRest, WatchEvent } from './rest.ts';

/** The parts of an object the cache reads. */
export interface KubeObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface KubeList<T> {
  metadata?: { resourceVersion?: string };
  items: T[];
}

export type InformerEvent = 'add' | 'update' | 'delete';
/** Synchronous: enqueue a key and return. Exceptions are logged and do not stop other handlers. */
export type InformerHandler<T> = (obj: T) => void;
export type RestartReason = 'error' | 'watchdog';

export interface ListSelectors {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WatchOptions extends ListSelectors {
  resourceVersion: string;
  timeoutSeconds: number;
}

/** Where a reflector reads: a list, and a watch that streams events until it ends or `signal` aborts. */
export interface ListWatchSource<T> {
  list(selectors: ListSelectors): Promise<KubeList<T>>;
  watch(options: WatchOptions, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void>;
}

/** The collection at `path` (e.g. `/api/v1/nodes`) through the lean client. */
export function restSource<T>(rest: KubeRest, path: string): ListWatchSource<T> {
  return {
    list: (selectors) => rest.get<KubeList<T>>(path, { ...selectors }),
    watch: (options, onEvent, signal) => rest.watch<T>(path, { ...options, allowWatchBookmarks: true }, onEvent, signal),
  };
}

export interface InformerOptions<T extends KubeObject> {
  source: ListWatchSource<T>;
  labelSelector?: string;
  fieldSelector?: string;
  /** For logs: what this informer watches. */
  name: string;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** Relist when no event (bookmarks included) has arrived for this long. Default 5 min. */
  watchdogMs?: number;
  /** Re-emit `update` for every cached object this often. Default 10 h, as controller-runtime. */
  resyncMs?: number;
  /** A list that takes longer fails (and is retried with backoff). Default 60 s. */
  listTimeoutMs?: number;
  backoff?: Partial<BackoffOptions>;
  clock?: Clock;
  /** Called on each restart: for a metric, and for tests. */
  onRestart?: (reason: RestartReason) => void;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Each delay is shortened by up to this fraction, at random, so that clients spread out. */
  jitter: number;
  /** A failure after this long without one starts again at initialMs. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 1_000,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
  resetAfterMs: 120_000,
};

/** Exponential backoff with jitter, capped; client-go's reflector schedule. */
export class Backoff {
  private readonly options: BackoffOptions;
  private readonly random: () => number;
  private failures = 0;
  private lastFailureAt = Number.NEGATIVE_INFINITY;

  constructor(options: Partial<BackoffOptions> = {}, random: () => number = Math.random) {
    this.options = { ...DEFAULT_BACKOFF, ...options };
    this.random = random;
  }

  /** The delay before the next attempt, after a failure at `now`. */
  next(now: number): number {
    const { initialMs, maxMs, factor, jitter, resetAfterMs } = this.options;
    if (now - this.lastFailureAt > resetAfterMs) this.failures = 0;
    const base = Math.min(maxMs, initialMs * factor ** this.failures);
    this.failures += 1;
    this.lastFailureAt = now;
    return Math.round(base * (1 - jitter * this.random()));
  }
}

const DEFAULT_WATCHDOG_MS = 5 * 60_000;
const DEFAULT_RESYNC_MS = 10 * 3_600_000;
const DEFAULT_LIST_TIMEOUT_MS = 60_000;
/** client-go's reflector: minWatchTimeout 5 min, times 1 + rand. */
const WATCH_TIMEOUT_S = 300;

function withTimeout<R>(promise: Promise<R>, ms: number, what: string): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/** An ERROR event's Status, thrown so that the reflector decides: 410 relists, others back off. */
class WatchErrorEvent extends Error {
  readonly statusCode: number | undefined;

  constructor(status: { code?: number; message?: string }) {
    super(`watch error event: ${status.message ?? 'no message'}`);
    this.statusCode = status.code;
  }
}

type WatchEnd = 'closed' | 'gone';

export class Informer<T extends KubeObject> {
  private readonly options: InformerOptions<T>;
  private readonly clock: Clock;
  private readonly watchdogMs: number;
  private readonly resyncMs: number;
  private readonly backoff: Backoff;
  private readonly handlers: Record<InformerEvent, InformerHandler<T>[]> = { add: [], update: [], delete: [] };
  private readonly syncWaiters = new Set<() => void>();
  private readonly objects = new Map<string, T>();
  private resourceVersion = '';
  private state: 'new' | 'running' | 'stopped' = 'new';
  private synced = false;
  private lastActivityAt = 0;
  /** The open watch's abort switch, and whether the watchdog pulled it. */
  private currentWatch: { controller: AbortController; expired: boolean } | undefined;
  private running: Promise<void> | undefined;
  private cancelRestart: Cancel | undefined;
  private cancelWatchdog: Cancel | undefined;
  private cancelResync: Cancel | undefined;

  constructor(options: InformerOptions<T>) {
    this.options = options;
    this.clock = options.clock ?? realClock;
    this.watchdogMs = options.watchdogMs ?? DEFAULT_WATCHDOG_MS;
    this.resyncMs = options.resyncMs ?? DEFAULT_RESYNC_MS;
    this.backoff = new Backoff(options.backoff);
  }

  on(event: InformerEvent, handler: InformerHandler<T>): void {
    this.handlers[event].push(handler);
  }

  /** Begins listing and watching; returns at once (see waitForSync). Call once. */
  start(): void {
    if (this.state !== 'new') throw new Error(`informer ${this.options.name} cannot start: ${this.state}`);
    this.state = 'running';
    this.lastActivityAt = this.clock.now();
    this.armWatchdog(this.watchdogMs);
    this.armResync();
    this.runReflector();
  }

  /** Stops for good and closes the open watch; no handler is called afterwards. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    for (const cancel of [this.cancelRestart, this.cancelWatchdog, this.cancelResync]) cancel?.();
    this.currentWatch?.controller.abort();
    for (const waiter of [...this.syncWaiters]) waiter();
    await this.running;
  }

  /** True once the first list is in the cache; stays true across later relists. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced, false after `timeoutMs` (or when stopped) without. */
  waitForSync(timeoutMs: number): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const cancel = this.clock.after(timeoutMs, () => finish(false));
      const finish = (ok: boolean): void => {
        cancel();
        this.syncWaiters.delete(onSynced);
        resolve(ok);
      };
      const onSynced = (): void => finish(this.synced);
      this.syncWaiters.add(onSynced);
    });
  }

  list(namespace?: string): ReadonlyArray<T> {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((o) => (o.metadata?.namespace ?? '') === namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(`${namespace ?? ''}/${name}`);
  }

  private runReflector(): void {
    this.running = this.listAndWatch().catch((err: unknown) => this.onError(err));
  }

  /** Lists, then watches until stopped; a 410 relists; anything else throws (and backs off). */
  private async listAndWatch(): Promise<void> {
    let relist = true;
    while (this.state === 'running') {
      if (relist) await this.relist();
      if (this.state !== 'running') return;
      relist = (await this.watchOnce()) === 'gone';
    }
  }

  private async relist(): Promise<void> {
    const { source, name, labelSelector, fieldSelector } = this.options;
    const selectors = { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) };
    const list = await withTimeout(source.list(selectors), this.options.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS, `list ${name}`);
    if (this.state !== 'running') return;
    this.lastActivityAt = this.clock.now();
    const fresh = new Set(list.items.map(keyOf));
    for (const [key, old] of this.objects) {
      if (fresh.has(key)) continue;
      this.objects.delete(key);
      this.dispatch('delete', old);
    }
    for (const obj of list.items) this.upsert(obj);
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.markSynced();
  }

  private async watchOnce(): Promise<WatchEnd> {
    const { source, labelSelector, fieldSelector } = this.options;
    const watch = (this.currentWatch = { controller: new AbortController(), expired: false });
    const options: WatchOptions = {
      ...(labelSelector ? { labelSelector } : {}),
      ...(fieldSelector ? { fieldSelector } : {}),
      resourceVersion: this.resourceVersion,
      timeoutSeconds: Math.round(WATCH_TIMEOUT_S * (1 + Math.random())),
    };
    try {
      await source.watch(options, (event) => this.onWatchEvent(event), watch.controller.signal);
    } catch (err) {
      if (apiStatusCode(err) === 410) return 'gone';
      if (!watch.controller.signal.aborted) throw err;
    } finally {
      this.currentWatch = undefined;
    }
    return watch.expired ? 'gone' : 'closed';
  }

  private onWatchEvent(event: WatchEvent<T>): void {
    if (this.state !== 'running') return;
    this.lastActivityAt = this.clock.now();
    if (event.type === 'ERROR') throw new WatchErrorEvent(event.object as { code?: number; message?: string });
    const obj = event.object;
    const version = obj.metadata?.resourceVersion;
    if (event.type === 'ADDED' || event.type === 'MODIFIED') this.upsert(obj);
    if (event.type === 'DELETED' && this.objects.delete(keyOf(obj))) this.dispatch('delete', obj);
    if (version) this.resourceVersion = version;
  }

  private upsert(obj: T): void {
    const key = keyOf(obj);
    const found = this.objects.get(key);
    if (found && found.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    this.objects.set(key, obj);
    this.dispatch(found ? 'update' : 'add', obj);
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    this.options.logger.debug({ informer: this.options.name, objects: this.objects.size }, 'informer synced');
    for (const waiter of [...this.syncWaiters]) waiter();
  }

  private dispatch(event: InformerEvent, obj: T): void {
    if (this.state !== 'running') return;
    for (const handler of this.handlers[event]) {
      try {
        handler(obj);
      } catch (err) {
        this.options.logger.error({ err, informer: this.options.name, event }, 'informer handler threw');
      }
    }
  }

  private onError(err: unknown): void {
    if (this.state !== 'running' || this.cancelRestart) return;
    const delayMs = this.backoff.next(this.clock.now());
    this.options.logger.warn({ err, informer: this.options.name, delayMs }, 'list/watch failed; restarting after backoff');
    this.options.onRestart?.('error');
    this.cancelRestart = this.clock.after(delayMs, () => {
      this.cancelRestart = undefined;
      if (this.state === 'running') this.runReflector();
    });
  }

  private armWatchdog(delayMs: number): void {
    this.cancelWatchdog = this.clock.after(delayMs, () => this.checkWatchdog());
  }

  private checkWatchdog(): void {
    if (this.state !== 'running') return;
    const silentMs = this.clock.now() - this.lastActivityAt;
    if (silentMs < this.watchdogMs) {
      this.armWatchdog(this.watchdogMs - silentMs);
      return;
    }
    // Only an open watch can be stalled; during a list or a backoff there is nothing to end: look again soon.
    const watch = this.currentWatch;
    if (!this.cancelRestart && watch) {
      this.options.logger.warn({ informer: this.options.name, silentMs }, 'watch silent too long; relisting');
      this.options.onRestart?.('watchdog');
      watch.expired = true;
      watch.controller.abort();
      this.lastActivityAt = this.clock.now();
      this.armWatchdog(this.watchdogMs);
      return;
    }
    this.armWatchdog(Math.min(this.watchdogMs, 5_000));
  }

  private armResync(): void {
    this.cancelResync = this.clock.after(this.resyncMs, () => {
      if (this.state !== 'running') return;
      if (this.synced) for (const obj of this.list()) this.dispatch('update', obj);
      this.armResync();
    });
  }
}
