// Every Prometheus metric of a process, in one registry per process. The engine's metrics keep
// controller-runtime's and client-go's names, labels and buckets, so that existing dashboards and
// alerts work; the project's own are prefixed ecseni_. Families that are only known at run time
// (a controller's name, a queue's name) are pre-initialised when they are created, so every series
// reads 0 before its first event instead of being absent.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import type { Phase } from './api/claim.ts';
import { RECONCILE_RESULT_LABELS, type ControllerMetrics } from './kube/runner.ts';
import type { QueueSnapshot, WorkQueueMetrics } from './kube/workqueue.ts';

export type Role = 'controller' | 'node-agent';

/** The `code` label of ecseni_ecs_requests_total for a call that succeeded. */
export const ECS_SUCCESS_CODE = 'Success';

/** Hooks for the cloud call wrapper (structurally src/cloud/call.ts's EcsCallMetrics). */
export interface EcsCallHooks {
  /** ecseni_ecs_requests_total{action,code} and ecseni_ecs_request_duration_seconds{action}. */
  observeCall(action: string, code: string, seconds: number): void;
  /** ecseni_ecs_throttled_total{action}. */
  observeThrottled(action: string): void;
}

/** controller-runtime's controller_runtime_reconcile_time_seconds buckets. */
export const RECONCILE_TIME_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75,
  2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
/** controller-runtime's work queue latency buckets: 10 ns to 1000 s by decades. */
export const WORKQUEUE_DURATION_BUCKETS = exponentialBuckets(10e-9, 10, 12);
const ECS_REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/**
 * How often the event-loop delay monitor samples. prom-client's default (10 ms) wakes an idle
 * process 100 times a second, ≈ 0.4 % of a core for nothing; at 100 ms it is ≈ 0.04 %, and the
 * nodejs_eventloop_lag_* gauges still get ten samples a second.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;
const AGENT_APPLY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

// A Record, so that the compiler fails when the API gains a phase that is missing here.
const PHASES: Record<Phase, null> = {
  Pending: null,
  Creating: null,
  Attaching: null,
  Configuring: null,
  Ready: null,
  Detaching: null,
  Deleting: null,
  Failed: null,
};

type QueueLabel = 'name' | 'controller';

function sharedFamilies(registers: Registry[]) {
  return {
    reconcileTotal: new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'] as const,
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'] as const,
      registers,
    }),
    terminalReconcileErrors: new Counter({
      name: 'controller_runtime_terminal_reconcile_errors_total',
      help: 'Total number of terminal reconciliation errors per controller',
      labelNames: ['controller'] as const,
      registers,
    }),
    reconcilePanics: new Counter({
      name: 'controller_runtime_reconcile_panics_total',
      help: 'Total number of reconciliation panics per controller',
      labelNames: ['controller'] as const,
      registers,
    }),
    reconcileTime: new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'] as const,
      buckets: RECONCILE_TIME_BUCKETS,
      registers,
    }),
    maxConcurrentReconciles: new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'] as const,
      registers,
    }),
    activeWorkers: new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'] as const,
      registers,
    }),
    workqueueAdds: new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: ['name', 'controller'] as const,
      registers,
    }),
    workqueueRetries: new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: ['name', 'controller'] as const,
      registers,
    }),
    workqueueQueueDuration: new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: ['name', 'controller'] as const,
      buckets: WORKQUEUE_DURATION_BUCKETS,
      registers,
    }),
    workqueueWorkDuration: new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: ['name', 'controller'] as const,
      buckets: WORKQUEUE_DURATION_BUCKETS,
      registers,
    }),
  };
}

/** Gauges read from the queues when scraped (client-go samples them every 500 ms instead). */
function queueGauges(registers: Registry[]) {
  const queues = new Map<string, { labels: Record<QueueLabel, string>; snapshot: () => QueueSnapshot }>();
  const gauge = (name: string, help: string, read: (s: QueueSnapshot) => number): Gauge<QueueLabel> =>
    new Gauge({
      name,
      help,
      labelNames: ['name', 'controller'] as const,
      registers,
      collect() {
        for (const q of queues.values()) this.set(q.labels, read(q.snapshot()));
      },
    });
  gauge('workqueue_depth', 'Current depth of workqueue', (s) => s.depth);
  gauge(
    'workqueue_unfinished_work_seconds',
    'How many seconds of work has been done that is in progress and has not been observed by work_duration. ' +
      'Large values indicate stuck threads.',
    (s) => s.unfinishedWorkSeconds,
  );
  gauge(
    'workqueue_longest_running_processor_seconds',
    'How many seconds has the longest running processor for workqueue been running.',
    (s) => s.longestRunningProcessorSeconds,
  );
  return queues;
}

function controllerFamilies(registers: Registry[]) {
  return {
    leaderElectionMasterStatus: new Gauge({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master',
      labelNames: ['name'] as const,
      registers,
    }),
    ecsRequests: new Counter({
      name: 'ecseni_ecs_requests_total',
      help: 'ECS and VPC API calls by action and result code ("Success" when the call succeeded)',
      labelNames: ['action', 'code'] as const,
      registers,
    }),
    ecsRequestDuration: new Histogram({
      name: 'ecseni_ecs_request_duration_seconds',
      help: 'Latency of ECS and VPC API calls by action, retries excluded',
      labelNames: ['action'] as const,
      buckets: ECS_REQUEST_BUCKETS,
      registers,
    }),
    ecsThrottled: new Counter({
      name: 'ecseni_ecs_throttled_total',
      help: 'ECS and VPC API calls rejected by the cloud for throttling, by action',
      labelNames: ['action'] as const,
      registers,
    }),
    claims: new Gauge({
      name: 'ecseni_claims',
      help: 'NetworkInterfaceClaims by status.phase',
      labelNames: ['phase'] as const,
      registers,
    }),
    claimConditions: new Gauge({
      name: 'ecseni_claim_conditions',
      help: 'NetworkInterfaceClaims by condition type, status and reason',
      labelNames: ['type', 'status', 'reason'] as const,
      registers,
    }),
    claimNotReadySeconds: new Gauge({
      name: 'ecseni_claim_not_ready_seconds',
      help:
        'For each claim that is not Ready: seconds since its Ready condition last changed (since creation ' +
        'when it has none), with the reason of that condition; no series for Ready claims',
      labelNames: ['claim', 'reason'] as const,
      registers,
    }),
    enisManaged: new Gauge({
      name: 'ecseni_enis_managed',
      help: 'ENIs that carry this cluster tag and are bound to a claim',
      registers,
    }),
    leakedEnisCollected: new Counter({
      name: 'ecseni_leaked_enis_collected_total',
      help: 'ENIs tagged with this cluster that no claim owned, deleted by the leak collector',
      registers,
    }),
  };
}

function agentFamilies(registers: Registry[]) {
  return {
    agentApplyDuration: new Histogram({
      name: 'ecseni_agent_apply_duration_seconds',
      help: "Time the node agent took to bring one claim's interface to its planned kernel state",
      buckets: AGENT_APPLY_BUCKETS,
      registers,
    }),
    agentDriftRepairs: new Counter({
      name: 'ecseni_agent_drift_repairs_total',
      help: 'Kernel state the node agent found changed by someone else and put back, by kind (link, address, route, rule)',
      labelNames: ['kind'] as const,
      registers,
    }),
    agentInterfacesConfigured: new Gauge({
      name: 'ecseni_agent_interfaces_configured',
      help: 'ENIs this node agent has configured',
      registers,
    }),
  };
}

type SharedFamilies = ReturnType<typeof sharedFamilies>;

export interface SharedMetrics extends SharedFamilies {
  readonly role: Role;
  readonly registry: Registry;
  /** The work queue metrics of one queue, every series at 0. `controller` defaults to `name`. */
  forQueue(name: string, controller?: string): WorkQueueMetrics;
  /** The controller-runtime metrics of one controller, every series at 0. */
  forController(controller: string): ControllerMetrics;
}

export type ControllerProcessMetrics = SharedMetrics &
  ReturnType<typeof controllerFamilies> & {
    /** The ECS call metrics as hooks for the cloud call wrapper. */
    forEcsCalls(): EcsCallHooks;
  };
export type NodeAgentProcessMetrics = SharedMetrics & ReturnType<typeof agentFamilies>;

function queueMetrics(
  families: SharedFamilies,
  queues: ReturnType<typeof queueGauges>,
  labels: Record<QueueLabel, string>,
): WorkQueueMetrics {
  families.workqueueAdds.inc(labels, 0);
  families.workqueueRetries.inc(labels, 0);
  families.workqueueQueueDuration.zero(labels);
  families.workqueueWorkDuration.zero(labels);
  return {
    added: () => families.workqueueAdds.inc(labels),
    retried: () => families.workqueueRetries.inc(labels),
    started: (seconds) => families.workqueueQueueDuration.observe(labels, seconds),
    finished: (seconds) => families.workqueueWorkDuration.observe(labels, seconds),
    watch: (snapshot) => {
      queues.set(`${labels.name}\0${labels.controller}`, { labels, snapshot });
    },
  };
}

function controllerMetrics(families: SharedFamilies, controller: string): ControllerMetrics {
  const labels = { controller };
  for (const result of RECONCILE_RESULT_LABELS) families.reconcileTotal.inc({ controller, result }, 0);
  families.reconcileErrors.inc(labels, 0);
  families.terminalReconcileErrors.inc(labels, 0);
  families.reconcilePanics.inc(labels, 0);
  families.reconcileTime.zero(labels);
  families.maxConcurrentReconciles.set(labels, 0);
  families.activeWorkers.set(labels, 0);
  return {
    reconciled: (result, seconds) => {
      families.reconcileTotal.inc({ controller, result });
      families.reconcileTime.observe(labels, seconds);
    },
    failed: (terminal) => {
      families.reconcileErrors.inc(labels);
      if (terminal) families.terminalReconcileErrors.inc(labels);
    },
    panicked: () => families.reconcilePanics.inc(labels),
    setMaxConcurrentReconciles: (workers) => families.maxConcurrentReconciles.set(labels, workers),
    addActiveWorkers: (delta) => families.activeWorkers.inc(labels, delta),
  };
}

function createShared(role: Role, registry: Registry): SharedMetrics {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const families = sharedFamilies([registry]);
  const queues = queueGauges([registry]);
  return {
    ...families,
    role,
    registry,
    forQueue: (name, controller = name) => queueMetrics(families, queues, { name, controller }),
    forController: (controller) => controllerMetrics(families, controller),
  };
}

/**
 * The metrics of one process: the engine's and process_* for both roles, plus the role's own.
 * Call it once per process (tests: once per test); each call has its own registry.
 */
export function createMetrics(role: 'controller'): ControllerProcessMetrics;
export function createMetrics(role: 'node-agent'): NodeAgentProcessMetrics;
export function createMetrics(role: Role): ControllerProcessMetrics | NodeAgentProcessMetrics {
  const registry = new Registry();
  const shared = createShared(role, registry);
  if (role === 'node-agent') return { ...shared, ...agentFamilies([registry]) };
  const own = controllerFamilies([registry]);
  for (const phase of Object.keys(PHASES)) own.claims.set({ phase }, 0);
  own.enisManaged.set(0);
  own.leakedEnisCollected.inc(0);
  const ecsCalls: EcsCallHooks = {
    observeCall: (action, code, seconds) => {
      own.ecsRequests.inc({ action, code });
      own.ecsRequestDuration.observe({ action }, seconds);
    },
    observeThrottled: (action) => own.ecsThrottled.inc({ action }),
  };
  return { ...shared, ...own, forEcsCalls: () => ecsCalls };
}
