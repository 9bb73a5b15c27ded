import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ECS_SUCCESS_CODE, EVENT_LOOP_SAMPLE_MS, createMetrics } from './metrics.ts';
import { FakeClock } from './kube/clock.ts';
import { WorkQueue } from './kube/workqueue.ts';

/** The value of one series in Prometheus text format, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('controller process: fixed families exist, pre-initialised ones read 0', async () => {
  const metrics = createMetrics('controller');
  metrics.ecsRequests.inc({ action: 'CreateNetworkInterface', code: 'Success' });
  metrics.ecsThrottled.inc({ action: 'AttachNetworkInterface' });
  metrics.leaderElectionMasterStatus.set({ name: 'ecs-eni-controller' }, 1);
  const text = await metrics.registry.metrics();
  assert.equal(sample(text, 'ecseni_ecs_requests_total{action="CreateNetworkInterface",code="Success"}'), 1);
  assert.equal(sample(text, 'ecseni_ecs_throttled_total{action="AttachNetworkInterface"}'), 1);
  assert.equal(sample(text, 'leader_election_master_status{name="ecs-eni-controller"}'), 1);
  assert.equal(sample(text, 'ecseni_claims{phase="Failed"}'), 0);
  assert.equal(sample(text, 'ecseni_claims{phase="Ready"}'), 0);
  assert.equal(sample(text, 'ecseni_enis_managed'), 0);
  assert.equal(sample(text, 'ecseni_leaked_enis_collected_total'), 0);
  for (const family of [
    'ecseni_ecs_request_duration_seconds',
    'ecseni_claim_conditions',
    'ecseni_claim_not_ready_seconds',
    'process_resident_memory_bytes',
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'));
  }
  assert.doesNotMatch(text, /ecseni_agent_/, 'agent families belong to the agent');
});

test('forEcsCalls: hooks for the cloud call wrapper feed the ECS families', async () => {
  const metrics = createMetrics('controller');
  const hooks = metrics.forEcsCalls();
  hooks.observeCall('AttachNetworkInterface', ECS_SUCCESS_CODE, 0.2);
  hooks.observeCall('AttachNetworkInterface', 'Throttling.User', 0.05);
  hooks.observeThrottled('AttachNetworkInterface');
  const text = await metrics.registry.metrics();
  assert.equal(sample(text, 'ecseni_ecs_requests_total{action="AttachNetworkInterface",code="Success"}'), 1);
  assert.equal(sample(text, 'ecseni_ecs_requests_total{action="AttachNetworkInterface",code="Throttling.User"}'), 1);
  assert.equal(sample(text, 'ecseni_ecs_request_duration_seconds_count{action="AttachNetworkInterface"}'), 2);
  assert.equal(sample(text, 'ecseni_ecs_throttled_total{action="AttachNetworkInterface"}'), 1);
});

test('node-agent process: its own families, not the cloud ones; two registries do not collide', async () => {
  const agent = createMetrics('node-agent');
  createMetrics('node-agent');
  agent.agentDriftRepairs.inc({ kind: 'route' });
  agent.agentApplyDuration.observe(0.02);
  const text = await agent.registry.metrics();
  assert.equal(sample(text, 'ecseni_agent_drift_repairs_total{kind="route"}'), 1);
  assert.equal(sample(text, 'ecseni_agent_apply_duration_seconds_count'), 1);
  assert.equal(sample(text, 'ecseni_agent_interfaces_configured'), 0);
  assert.doesNotMatch(text, /ecseni_ecs_|leader_election/);
});

test('forController: every controller-runtime series exists at 0 before the first reconcile', async () => {
  const metrics = createMetrics('controller');
  const hooks = metrics.forController('claim');
  let text = await metrics.registry.metrics();
  for (const result of ['success', 'error', 'requeue', 'requeue_after']) {
    assert.equal(sample(text, `controller_runtime_reconcile_total{controller="claim",result="${result}"}`), 0);
  }
  for (const family of [
    'controller_runtime_reconcile_errors_total',
    'controller_runtime_terminal_reconcile_errors_total',
    'controller_runtime_reconcile_panics_total',
    'controller_runtime_reconcile_time_seconds_count',
    'controller_runtime_max_concurrent_reconciles',
    'controller_runtime_active_workers',
  ]) {
    assert.equal(sample(text, `${family}{controller="claim"}`), 0, family);
  }
  hooks.setMaxConcurrentReconciles(4);
  hooks.addActiveWorkers(1);
  hooks.reconciled('error', 0.3);
  hooks.failed(true);
  hooks.panicked();
  text = await metrics.registry.metrics();
  assert.equal(sample(text, 'controller_runtime_max_concurrent_reconciles{controller="claim"}'), 4);
  assert.equal(sample(text, 'controller_runtime_active_workers{controller="claim"}'), 1);
  assert.equal(sample(text, 'controller_runtime_reconcile_total{controller="claim",result="error"}'), 1);
  assert.equal(sample(text, 'controller_runtime_reconcile_errors_total{controller="claim"}'), 1);
  assert.equal(sample(text, 'controller_runtime_terminal_reconcile_errors_total{controller="claim"}'), 1);
  assert.equal(sample(text, 'controller_runtime_reconcile_panics_total{controller="claim"}'), 1);
  assert.equal(sample(text, 'controller_runtime_reconcile_time_seconds_bucket{le="0.3",controller="claim"}'), 1);
  assert.equal(sample(text, 'controller_runtime_reconcile_time_seconds_bucket{le="0.25",controller="claim"}'), 0);
});

test('forQueue: a real queue drives every workqueue_* series; gauges are read at scrape time', async () => {
  const metrics = createMetrics('controller');
  const clock = new FakeClock();
  const queue = new WorkQueue({ name: 'claims', clock, metrics: metrics.forQueue('claims', 'claim') });
  const labels = '{name="claims",controller="claim"}';
  let text = await metrics.registry.metrics();
  assert.equal(sample(text, `workqueue_adds_total${labels}`), 0);
  assert.equal(sample(text, `workqueue_depth${labels}`), 0);
  queue.add('a');
  queue.add('b');
  queue.addAfter('c', 10);
  text = await metrics.registry.metrics();
  assert.equal(sample(text, `workqueue_depth${labels}`), 2);
  assert.equal(sample(text, `workqueue_adds_total${labels}`), 2);
  assert.equal(sample(text, `workqueue_retries_total${labels}`), 1);
  clock.advance(3000);
  await queue.get();
  clock.advance(2000);
  text = await metrics.registry.metrics();
  assert.equal(sample(text, `workqueue_depth${labels}`), 2);
  assert.equal(sample(text, `workqueue_unfinished_work_seconds${labels}`), 2);
  assert.equal(sample(text, `workqueue_longest_running_processor_seconds${labels}`), 2);
  assert.equal(sample(text, `workqueue_queue_duration_seconds_count${labels}`), 1);
  queue.done('a');
  text = await metrics.registry.metrics();
  assert.equal(sample(text, `workqueue_work_duration_seconds_sum${labels}`), 2);
  assert.equal(sample(text, `workqueue_unfinished_work_seconds${labels}`), 0);
});

test('the event-loop delay monitor samples every EVENT_LOOP_SAMPLE_MS, not every 10 ms (an idle process stays idle)', async () => {
  const metrics = createMetrics('node-agent');
  await metrics.registry.metrics(); // starts a fresh sampling interval
  await new Promise((resolve) => setTimeout(resolve, 3.5 * EVENT_LOOP_SAMPLE_MS));
  const text = await metrics.registry.metrics();
  // The monitor records the time between its own wake-ups: the shortest is its sampling period.
  const shortest = sample(text, 'nodejs_eventloop_lag_min_seconds') ?? Number.NaN;
  assert.ok(shortest >= 0.9 * (EVENT_LOOP_SAMPLE_MS / 1000) && shortest < 1, `shortest interval ${shortest} s`);
});
