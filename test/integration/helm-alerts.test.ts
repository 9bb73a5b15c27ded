// The alert rules (helm/ecs-eni-controller/files/alerts.yaml, the one source of the plain rules
// file and of the chart's PrometheusRule) against promtool, against the error table they match
// codes from, and against the metrics the processes export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { parse } from 'yaml';
import { ECS_ERROR_CODES, LOCAL_ERROR_CODES } from '../../src/cloud/error-codes.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const RULES = `${ROOT}helm/ecs-eni-controller/files/alerts.yaml`;
const PLAIN_RULES = `${ROOT}monitoring/alerts.yaml`;
const RULE_TESTS = `${ROOT}monitoring/alerts.test.yaml`;

interface Rule {
  alert: string;
  expr: string;
}

function rules(): Rule[] {
  const file = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] };
  return file.groups.flatMap((g) => g.rules);
}

function promtool(args: string[]): { status: number | null; output: string } {
  const bin = process.env.PROMTOOL ?? 'promtool';
  const result = spawnSync(bin, args, { cwd: ROOT, encoding: 'utf8' });
  if (result.error) {
    assert.fail(`${bin} not found (${result.error.message}): install the Debian package "prometheus" or set PROMTOOL`);
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('monitoring/alerts.yaml is the chart file itself, not a copy', () => {
  assert.equal(realpathSync(PLAIN_RULES), realpathSync(RULES));
});

test('promtool accepts the rules file', () => {
  const { status, output } = promtool(['check', 'rules', RULES]);
  assert.equal(status, 0, output);
});

test('promtool unit tests: each alert fires when it should and stays silent otherwise', () => {
  const { status, output } = promtool(['test', 'rules', RULE_TESTS]);
  assert.equal(status, 0, output);
  const tested = new Set([...readFileSync(RULE_TESTS, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
  assert.deepEqual([...tested].sort(), rules().map((r) => r.alert).sort(), 'every alert has promtool cases');
});

test('the auth-failure alert matches exactly the codes the error table classes as auth', () => {
  const expr = rules().find((r) => r.alert === 'EcsEniCloudAuthFailed')?.expr ?? '';
  const quoted = /code=~"((?:[^"\\]|\\.)*)"/.exec(expr)?.[1];
  assert.ok(quoted, 'the alert selects codes with code=~"..."');
  // PromQL unescapes the string, then anchors the regex at both ends.
  const codes = new RegExp(`^(?:${quoted.replace(/\\\\/g, '\\')})$`);
  for (const [code, rule] of Object.entries({ ...ECS_ERROR_CODES, ...LOCAL_ERROR_CODES })) {
    assert.equal(codes.test(code), rule.retryClass === 'auth', `${code} (${rule.retryClass})`);
  }
});

/**
 * What the rules read, by role: metric name → the labels the rules use besides the scrape
 * target's own (job, instance, node). docs/api.md lists the same, for the metrics module.
 */
const expectedMetrics: Record<'controller' | 'node-agent', Record<string, string[]>> = {
  controller: {
    controller_runtime_reconcile_total: ['controller'],
    controller_runtime_reconcile_errors_total: ['controller'],
    leader_election_master_status: [],
    ecseni_ecs_requests_total: ['action', 'code'],
    ecseni_ecs_throttled_total: ['action'],
    ecseni_claim_not_ready_seconds: ['claim', 'reason'],
  },
  'node-agent': {
    controller_runtime_reconcile_total: ['controller'],
    controller_runtime_reconcile_errors_total: ['controller'],
    ecseni_agent_drift_repairs_total: [],
  },
};

test('every metric the rules read is named in them as listed here', () => {
  const text = readFileSync(RULES, 'utf8');
  for (const name of new Set(Object.values(expectedMetrics).flatMap((m) => Object.keys(m)))) {
    assert.ok(text.includes(`${name}{`), `the rules read ${name}`);
  }
});

for (const role of ['controller', 'node-agent'] as const) {
  test(`the ${role} exports every metric the rules read, with their labels`, async () => {
    // Imported here so that the promtool cases above run even while src/metrics.ts changes.
    const { createMetrics } = await import('../../src/metrics.ts');
    const registry = role === 'controller' ? createMetrics('controller').registry : createMetrics('node-agent').registry;
    for (const [name, labels] of Object.entries(expectedMetrics[role])) {
      const metric = registry.getSingleMetric(name) as { labelNames?: readonly string[] } | undefined;
      assert.ok(metric, `src/metrics.ts registers ${name} for the ${role}`);
      for (const label of labels) assert.ok(metric.labelNames?.includes(label), `${name} has the label ${label}`);
    }
  });
}
