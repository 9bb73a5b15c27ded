// Kubernetes Events about claims, written as events.k8s.io/v1 (client-go's newer recorder) so
// that `kubectl describe nic <name>` shows them. kubectl describe finds a cluster-scoped object's
// events by listing core/v1 Events in ALL namespaces with the field selector
// involvedObject.{name,namespace="",kind,uid} (searchEvents in k8s.io/kubectl describe.go);
// events.k8s.io's `regarding` is the same stored field, and the Event itself must live in some
// namespace: client-go puts those of cluster-scoped objects into `default`, and so do we.
//
// As client-go's recorder, and so that a hot loop cannot flood etcd:
// - de-duplicated: the same object, type, reason, action and message within `dedupWindowMs`
//   (10 min) bumps the existing Event's series (count, lastObservedTime) instead of a new Event;
// - rate-limited per object: a token bucket of 25, refilled one per 300 s (client-go's spam filter);
// - written one at a time, in order, with at most 1,000 waiting (client-go's broadcaster: one
//   goroutine per sink, maxQueuedEvents): a thousand claims attached at once must not send a
//   thousand Event writes alongside their status writes; the Events trail behind instead.
// Recording never throws into the caller and never blocks it: write errors are logged.
import { EventsV1Api, PatchStrategy, setHeaderOptions, V1MicroTime, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { realClock, type Clock } from './clock.ts';

export const CONTROLLER_REPORTER = 'ecseni.io/controller';
export const AGENT_REPORTER = 'ecseni.io/node-agent';

export type EventType = 'Normal' | 'Warning';

export interface RecordedEvent {
  regarding: KubernetesObject;
  type: EventType;
  reason: string;
  message: string;
  action: string;
}

/** Where Events go: the API server, or a test double. */
export interface EventSink {
  /** Creates an Event; resolves to its name. */
  create(namespace: string, event: EventBody): Promise<string>;
  /** Records one more occurrence on an existing Event. */
  updateSeries(namespace: string, name: string, series: { count: number; lastObservedTime: Date }): Promise<void>;
}

export interface EventBody {
  eventTime: Date;
  regarding: { apiVersion?: string; kind?: string; name?: string; namespace?: string; uid?: string };
  type: EventType;
  reason: string;
  action: string;
  note: string;
  reportingController: string;
  reportingInstance: string;
}

export interface EventRecorderOptions {
  sink: EventSink;
  /** Who writes: CONTROLLER_REPORTER or AGENT_REPORTER. */
  reportingController: string;
  /** Which replica writes: the pod name. */
  reportingInstance: string;
  logger: Pick<Logger, 'debug' | 'warn'>;
  clock?: Clock;
  /** Namespace for Events about cluster-scoped objects. Default `default`. */
  clusterScopedNamespace?: string;
  dedupWindowMs?: number;
  burst?: number;
  refillIntervalMs?: number;
}

const DEFAULT_DEDUP_WINDOW_MS = 10 * 60_000;
const DEFAULT_BURST = 25;
const DEFAULT_REFILL_INTERVAL_MS = 300_000;
/** client-go's bound on its correlation caches. */
const MAX_CACHE_ENTRIES = 4096;
const MAX_NOTE_BYTES = 1024;
/** client-go's maxQueuedEvents: past it, new Events are dropped (and logged at debug). */
const MAX_QUEUED_EVENTS = 1000;
const MAX_FIELD_LENGTH = 128;

interface SeenEvent {
  namespace: string;
  name: string;
  count: number;
  lastAt: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Identifies the object an Event is about: the same key for every Event of one object. */
export function objectKey(obj: KubernetesObject): string {
  const m = obj.metadata ?? {};
  return [obj.apiVersion, obj.kind, m.namespace ?? '', m.name ?? '', m.uid ?? ''].join('/');
}

/** Events with the same key are one Event with a count. */
export function correlationKey(e: RecordedEvent): string {
  return JSON.stringify([objectKey(e.regarding), e.type, e.reason, e.action, e.message]);
}

/** A Map used as an LRU: reads move an entry to the back, the front is evicted past `max`. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as string);
}

function truncateBytes(text: string, max: number): string {
  const bytes = Buffer.from(text);
  return bytes.length <= max ? text : bytes.subarray(0, max - 3).toString().replace(/\uFFFD$/, '') + '...';
}

export class EventRecorder {
  private readonly options: EventRecorderOptions;
  private readonly clock: Clock;
  private readonly seen = new Map<string, SeenEvent>();
  private readonly buckets = new Map<string, Bucket>();
  /** The last write queued: writes go one at a time, in the order recorded. */
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(options: EventRecorderOptions) {
    this.options = options;
    this.clock = options.clock ?? realClock;
  }

  /** Records an Event about `regarding` in the background. Never throws. `action` defaults to `reason`. */
  event(regarding: KubernetesObject, type: EventType, reason: string, message: string, action = reason): void {
    try {
      const recorded = { regarding, type, reason, message, action };
      const now = this.clock.now();
      if (!this.allow(objectKey(regarding), now)) {
        this.options.logger.debug({ reason, object: regarding.metadata?.name }, 'event dropped by the per-object rate limit');
        return;
      }
      if (this.queued >= MAX_QUEUED_EVENTS) {
        this.options.logger.debug({ reason, object: regarding.metadata?.name }, 'event dropped: too many waiting to be written');
        return;
      }
      const key = correlationKey(recorded);
      this.queued += 1;
      this.tail = this.tail.then(() => this.write(key, recorded, now)).finally(() => (this.queued -= 1));
    } catch (err) {
      this.options.logger.warn({ err, reason }, 'recording an event failed');
    }
  }

  /** Resolves once every Event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.queued > 0) await this.tail;
  }

  /** Token bucket per object, refilled continuously. */
  private allow(objKey: string, now: number): boolean {
    const { burst = DEFAULT_BURST, refillIntervalMs = DEFAULT_REFILL_INTERVAL_MS } = this.options;
    const bucket = this.buckets.get(objKey) ?? { tokens: burst, at: now };
    const tokens = Math.min(burst, bucket.tokens + (now - bucket.at) / refillIntervalMs);
    const allowed = tokens >= 1;
    touch(this.buckets, objKey, { tokens: allowed ? tokens - 1 : tokens, at: now }, MAX_CACHE_ENTRIES);
    return allowed;
  }

  /** Writes one occurrence (at `now`, when it was recorded): a new Event, or one more in a series. */
  private async write(key: string, e: RecordedEvent, now: number): Promise<void> {
    const previous = this.seen.get(key);
    const windowMs = this.options.dedupWindowMs ?? DEFAULT_DEDUP_WINDOW_MS;
    try {
      if (previous && now - previous.lastAt <= windowMs) {
        const count = previous.count + 1;
        await this.options.sink.updateSeries(previous.namespace, previous.name, { count, lastObservedTime: new Date(now) });
        touch(this.seen, key, { ...previous, count, lastAt: now }, MAX_CACHE_ENTRIES);
        return;
      }
      const namespace = e.regarding.metadata?.namespace || (this.options.clusterScopedNamespace ?? 'default');
      const name = await this.options.sink.create(namespace, this.body(e, now));
      touch(this.seen, key, { namespace, name, count: 1, lastAt: now }, MAX_CACHE_ENTRIES);
    } catch (err) {
      // A series patch on an Event the API server has already expired (1 h TTL) starts a new one next time.
      this.seen.delete(key);
      this.options.logger.warn({ err, reason: e.reason, object: e.regarding.metadata?.name }, 'writing an event failed');
    }
  }

  private body(e: RecordedEvent, now: number): EventBody {
    const m = e.regarding.metadata ?? {};
    return {
      eventTime: new Date(now),
      regarding: { apiVersion: e.regarding.apiVersion, kind: e.regarding.kind, name: m.name, namespace: m.namespace, uid: m.uid },
      type: e.type,
      reason: e.reason.slice(0, MAX_FIELD_LENGTH),
      action: e.action.slice(0, MAX_FIELD_LENGTH),
      note: truncateBytes(e.message, MAX_NOTE_BYTES),
      reportingController: this.options.reportingController,
      reportingInstance: this.options.reportingInstance.slice(0, MAX_FIELD_LENGTH),
    };
  }
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The API server as an EventSink (events.k8s.io/v1). */
export function apiEventSink(kubeConfig: KubeConfig): EventSink {
  const api = kubeConfig.makeApiClient(EventsV1Api);
  let seq = 0;
  return {
    async create(namespace, event) {
      // client-go names Events <object>.<unix nanos in hex>; ms plus a counter keeps them unique here.
      seq = (seq + 1) % 0x10000;
      const stamp = `${event.eventTime.getTime().toString(16)}${seq.toString(16).padStart(4, '0')}`;
      const name = `${(event.regarding.name ?? 'object').slice(0, 230)}.${stamp}`;
      const body = {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace },
        ...event,
        eventTime: new V1MicroTime(event.eventTime.getTime()),
      };
      await api.createNamespacedEvent({ namespace, body });
      return name;
    },
    async updateSeries(namespace, name, series) {
      const body = { series: { count: series.count, lastObservedTime: new V1MicroTime(series.lastObservedTime.getTime()) } };
      await api.patchNamespacedEvent({ namespace, name, body }, MERGE_PATCH);
    },
  };
}
