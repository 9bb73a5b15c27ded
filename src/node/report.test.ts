import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceClaim } from '../api/claim.ts';
import type { Change } from './changes.ts';
import type { ReconcileResult } from './datapath.ts';
import { parseCidr } from './ipv4.ts';
import { reportFor } from './outcome.ts';
import type { EniIntent } from './plan.ts';
import { agentStatus, hasReport, isReported, type Report } from './report.ts';

const intent: EniIntent = {
  claim: 'c',
  mac: '00:16:3e:00:00:01',
  addresses: ['192.168.1.20', '192.168.1.21'],
  cidr: parseCidr('192.168.1.0/24') ?? assert.fail(),
  gateway: '192.168.1.253',
  mode: 'Policy',
};

function result(over: Partial<ReconcileResult> = {}): ReconcileResult {
  return { outcomes: new Map([['c', { configured: true, interface: 'eth1', table: 30000 }]]), applied: [], failed: [], remaining: [], ...over };
}

const ruleAdd: Change = { op: 'rule-add', claim: 'c', rule: { priority: 32765, src: '192.168.1.21/32', table: 30000, protocol: 236 } };

test('configured: True with the interface and table', () => {
  assert.deepEqual(reportFor(intent, result()), {
    configured: true,
    reason: 'Configured',
    message: 'eth1 is up with 2 addresses; route table 30000, source rules at priority 32765',
    interface: { name: 'eth1', routeTable: 30000 },
  });
});

test('a change the kernel refused is ApplyFailed, quoting it', () => {
  const report = reportFor(intent, result({ failed: [{ change: ruleAdd, message: 'ip rule add …: RTNETLINK answers: File exists' }] }));
  assert.equal(report.reason, 'ApplyFailed');
  assert.equal(report.configured, false);
  assert.match(report.message, /File exists/);
});

test('a change still needed after applying is ApplyFailed too; other claims’ changes do not count', () => {
  assert.equal(reportFor(intent, result({ remaining: [ruleAdd] })).reason, 'ApplyFailed');
  assert.equal(reportFor(intent, result({ remaining: [{ ...ruleAdd, claim: 'other' }] })).reason, 'Configured');
});

test('a planner conflict is reported with its reason and message, without an interface', () => {
  const outcomes = new Map([['c', { configured: false as const, reason: 'AddressConflict' as const, message: '192.168.1.20 is already configured on eth0' }]]);
  assert.deepEqual(reportFor(intent, result({ outcomes })), { configured: false, reason: 'AddressConflict', message: '192.168.1.20 is already configured on eth0' });
});

test('status: only the Configured condition and the interface; written only when something differs', () => {
  const claim: NetworkInterfaceClaim = { apiVersion: 'v', kind: 'k', metadata: { name: 'c', generation: 3 }, spec: { nodeName: 'n' } };
  const report: Report = reportFor(intent, result());
  const now = new Date('2026-01-01T00:00:00Z');
  const status = agentStatus(claim, report, now);
  assert.deepEqual(status, {
    conditions: [{ type: 'Configured', status: 'True', reason: 'Configured', message: report.message, observedGeneration: 3, lastTransitionTime: now.toISOString() }],
    interface: { name: 'eth1', routeTable: 30000 },
  });
  assert.equal(isReported(claim, report), false);
  const written = { ...claim, status: { ...status } };
  assert.equal(isReported(written, report), true);
  assert.equal(isReported({ ...written, metadata: { ...written.metadata, generation: 4 } }, report), false, 'a new generation is reported again');
  assert.equal(isReported(written, { ...report, interface: { name: 'eth1', routeTable: 30001 } }), false);
});

test("hasReport: any of the agent's fields, not the controller's", () => {
  const claim: NetworkInterfaceClaim = { apiVersion: 'v', kind: 'k', metadata: { name: 'c' }, spec: { nodeName: 'n' } };
  const attached = { type: 'Attached' as const, status: 'True' as const, reason: 'Attached', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' };
  assert.equal(hasReport(claim), false);
  assert.equal(hasReport({ ...claim, status: { conditions: [attached] } }), false);
  assert.equal(hasReport({ ...claim, status: agentStatus(claim, reportFor(intent, result()), new Date()) }), true);
  assert.equal(hasReport({ ...claim, status: { interface: { name: 'eth1', routeTable: 30000 } } }), true);
});
