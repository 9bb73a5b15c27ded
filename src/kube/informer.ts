// A cache of one kind of object that keeps itself true, over client-node 2.0.1's ListWatch.
//
// What ListWatch does by itself (read in dist/cache.js and dist/watch.js):
// - a clean close of the watch → re-watch from the last resourceVersion; a 410 Gone (as a status
//   or an ERROR event) → relist, emitting `delete` for objects that vanished meanwhile;
// - Watch aborts a request after 30 s without a byte (TimeoutError) and ListWatch re-watches;
// - ANY other error (connection refused, 401/403, a failed list) is reported to `error` listeners
//   and the informer stays stopped for good.
// What this class adds:
// - restart after any error, with a backoff that never storms the API server (1 s doubling to
//   30 s, jitter downwards, reset after 2 min without failures as client-go's reflector does);
// - bookmarks (allowWatchBookmarks), which keep the resourceVersion fresh and count as signs of life;
// - a watchdog: when nothing (not even a bookmark) has arrived for `watchdogMs`, the watch is
//   ended as if the server had said 410 Gone, so ListWatch relists (client-node informers are
//   known to stall silently: kubernetes-client/javascript #364, #596, #958). The API server only
//   sends a bookmark when the store's revision has moved past the watch's (kube-apiserver 1.36,
//   cacheWatcher.process), so a collection where nothing changes is relisted every `watchdogMs`:
//   one list per 5 min, the price of catching a stall.
// No server-side timeoutSeconds: a clean close makes ListWatch wait 1 s, 2 s, … before it
// re-watches, while Watch's own 30 s inactivity abort re-watches at once.
// - a periodic resync that re-emits `update` for every cached object (#595);
// - stop() that leaves no request open, even one ListWatch starts after a backoff delay (#494).
import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { realClock, type Cancel, type Clock } from './clock.ts';

export type InformerEvent = 'add' | 'update' | 'delete';
/** Synchronous: enqueue a key and return. Exceptions are logged and do not stop other handlers. */
export type InformerHandler<T> = (obj: T) => void;
export type RestartReason = 'error' | 'watchdog';

export interface ListSelectors {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface InformerOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** Collection path, e.g. `/api/v1/nodes` or `/apis/ecseni.io/v1alpha1/networkinterfaceclaims`. */
  path: string;
  /** Lists the collection with the given selectors (the same ones the watch uses). */
  list: (selectors: ListSelectors) => Promise<KubernetesListObject<T>>;
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

/** What ListWatch takes for a 410 Gone: it then relists, as after a compacted resourceVersion. */
function goneError(): Error {
  return Object.assign(new Error('watch ended by the informer watchdog'), { statusCode: 410 });
}

type WatchCallback = Parameters<Watch['watch']>[2];
type DoneCallback = Parameters<Watch['watch']>[3];

/**
 * client-node's Watch with what ListWatch cannot pass itself (bookmarks),
 * a tap on every line received, and two switches: expire() ends the current watch as a 410, and
 * close() makes later watches no-ops so a stopped informer opens nothing.
 */
class TappedWatch extends Watch {
  private readonly tap: { activity: () => void; watchStarted: () => void };
  private current: AbortController | undefined;
  private expiring = false;
  private closed = false;

  constructor(kc: KubeConfig, tap: TappedWatch['tap']) {
    super(kc);
    this.tap = tap;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: WatchCallback,
    done: DoneCallback,
  ): Promise<AbortController> {
    if (this.closed) return abortedController();
    this.tap.watchStarted();
    const params = { ...queryParams, allowWatchBookmarks: true };
    let finished = false;
    const tappedCallback: WatchCallback = (phase, obj, watchObj) => {
      this.tap.activity();
      callback(phase, obj, watchObj);
    };
    const tappedDone: DoneCallback = (err) => {
      finished = true;
      this.current = undefined;
      const expired = this.expiring;
      this.expiring = false;
      done(expired ? goneError() : err);
    };
    const controller = await super.watch(path, params, tappedCallback, tappedDone);
    if (!finished) this.current = controller;
    return controller;
  }

  /** Ends the open watch as if the server had answered 410 Gone. False when none is open. */
  expire(): boolean {
    if (!this.current) return false;
    this.expiring = true;
    this.current.abort();
    return true;
  }

  close(): void {
    this.closed = true;
    this.current?.abort();
  }
}

function abortedController(): AbortController {
  const controller = new AbortController();
  controller.abort();
  return controller;
}

function withTimeout<R>(promise: Promise<R>, ms: number, what: string): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class Informer<T extends KubernetesObject> {
  private readonly options: InformerOptions<T>;
  private readonly clock: Clock;
  private readonly watchdogMs: number;
  private readonly resyncMs: number;
  private readonly backoff: Backoff;
  private readonly watch: TappedWatch;
  private readonly listWatch: ListWatch<T>;
  private readonly handlers: Record<InformerEvent, InformerHandler<T>[]> = { add: [], update: [], delete: [] };
  private readonly syncWaiters = new Set<() => void>();
  private state: 'new' | 'running' | 'stopped' = 'new';
  private synced = false;
  private lastActivityAt = 0;
  private cancelRestart: Cancel | undefined;
  private cancelWatchdog: Cancel | undefined;
  private cancelResync: Cancel | undefined;

  constructor(options: InformerOptions<T>) {
    this.options = options;
    this.clock = options.clock ?? realClock;
    this.watchdogMs = options.watchdogMs ?? DEFAULT_WATCHDOG_MS;
    this.resyncMs = options.resyncMs ?? DEFAULT_RESYNC_MS;
    this.backoff = new Backoff(options.backoff);
    this.watch = new TappedWatch(options.kubeConfig, {
      activity: () => (this.lastActivityAt = this.clock.now()),
      watchStarted: () => this.markSynced(),
    });
    const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
    const list = (): Promise<KubernetesListObject<T>> =>
      withTimeout(options.list(selectors), options.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS, `list ${options.name}`);
    this.listWatch = new ListWatch(options.path, this.watch, list, false, options.labelSelector, options.fieldSelector);
    for (const event of ['add', 'update', 'delete'] as const) {
      this.listWatch.on(event, (obj) => this.dispatch(event, obj));
    }
    this.listWatch.on('error', (err) => this.onError(err));
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
    this.runListWatch();
  }

  /** Stops for good and closes the open watch; no handler is called afterwards. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    for (const cancel of [this.cancelRestart, this.cancelWatchdog, this.cancelResync]) cancel?.();
    this.watch.close();
    for (const waiter of [...this.syncWaiters]) waiter();
    await this.listWatch.stop();
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
    return this.listWatch.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.listWatch.get(name, namespace);
  }

  private runListWatch(): void {
    this.listWatch.start().catch((err: unknown) => this.onError(err));
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    this.options.logger.debug({ informer: this.options.name, objects: this.list().length }, 'informer synced');
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
      if (this.state === 'running') this.runListWatch();
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
    // Only an open watch can be stalled; during a list, a backoff or a restart there is nothing
    // to end, and a watch will be open again within ~30 s: look again soon.
    if (!this.cancelRestart && this.watch.expire()) {
      this.options.logger.warn({ informer: this.options.name, silentMs }, 'watch silent too long; relisting');
      this.options.onRestart?.('watchdog');
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
