import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClaimSpec, ClaimStatus, NetworkInterfaceClaim } from '../api/claim.ts';
import { AGENT_FINALIZER } from '../api/names.ts';
import { roleOf } from './intent.ts';

const attached: ClaimStatus = {
  nodeName: 'node-a',
  macAddress: '00:16:3E:00:00:01',
  primaryIpAddress: '192.168.1.20',
  secondaryPrivateIpAddresses: ['192.168.1.21'],
  cidrBlock: '192.168.1.0/24',
  gateway: '192.168.1.253',
  interface: { name: 'eth1', routeTable: 30004 },
  conditions: [{ type: 'Attached', status: 'True', reason: 'Attached', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }],
};

function claim(over: { spec?: Partial<ClaimSpec>; status?: Partial<ClaimStatus>; finalizers?: string[]; deleting?: boolean } = {}): NetworkInterfaceClaim {
  return {
    apiVersion: 'ecseni.io/v1alpha1',
    kind: 'NetworkInterfaceClaim',
    metadata: {
      name: 'c',
      finalizers: over.finalizers ?? [],
      ...(over.deleting ? { deletionTimestamp: new Date('2026-01-01T00:00:00Z') } : {}),
    },
    spec: { nodeName: 'node-a', ...over.spec },
    status: { ...attached, ...over.status },
  };
}

test('an attached claim is configured, with the MAC lower-cased, primary first and the recorded table', () => {
  assert.deepEqual(roleOf(claim({ spec: { routing: { tableId: 1001, mtu: 9000 } } }), 'node-a'), {
    role: 'configure',
    intent: {
      claim: 'c',
      mac: '00:16:3e:00:00:01',
      addresses: ['192.168.1.20', '192.168.1.21'],
      cidr: { network: '192.168.1.0', prefixLength: 24 },
      gateway: '192.168.1.253',
      mode: 'Policy',
      tableId: 1001,
      recordedTable: 30004,
      mtu: 9000,
    },
  });
});

test('bound elsewhere, attached elsewhere or deleting, and never held: not the agent’s business', () => {
  const cases: NetworkInterfaceClaim[] = [
    claim({ status: { nodeName: 'node-b' } }),
    claim({ spec: { nodeName: 'node-b' } }),
    claim({ deleting: true }),
    claim({ spec: { routing: { mode: 'None' } }, status: { nodeName: undefined } }),
  ];
  for (const c of cases) assert.deepEqual(roleOf(c, 'node-a'), { role: 'ignore' });
});

test('bound here but not attached here yet, or missing what the kernel needs: held ahead of the attach', () => {
  const cases: NetworkInterfaceClaim[] = [
    claim({ status: { conditions: [] } }),
    claim({ status: { nodeName: undefined } }),
    claim({ status: { gateway: undefined } }),
    claim({ status: { cidrBlock: 'nonsense' } }),
    { ...claim(), status: {} },
    claim({ finalizers: [AGENT_FINALIZER], status: { conditions: [] } }),
  ];
  for (const c of cases) assert.deepEqual(roleOf(c, 'node-a'), { role: 'hold' });
});

test('holding the finalizer, a claim that no longer wants this node is released, with its intent', () => {
  const cases: [NetworkInterfaceClaim, RegExp][] = [
    [claim({ finalizers: [AGENT_FINALIZER], deleting: true }), /being deleted/],
    [claim({ finalizers: [AGENT_FINALIZER], spec: { nodeName: 'node-b' } }), /node node-b/],
    [claim({ finalizers: [AGENT_FINALIZER], status: { nodeName: 'node-b' } }), /attached to node node-b/],
    [claim({ finalizers: [AGENT_FINALIZER], spec: { routing: { mode: 'None' } } }), /routing.mode is None/],
  ];
  for (const [c, why] of cases) {
    const role = roleOf(c, 'node-a');
    assert.equal(role.role, 'release');
    assert.match(role.role === 'release' ? role.why : '', why);
    assert.equal(role.role === 'release' && role.intent?.mac, '00:16:3e:00:00:01');
  }
});

test('routing.mode None, attached here, nothing held: disabled (the kernel is left alone)', () => {
  assert.deepEqual(roleOf(claim({ spec: { routing: { mode: 'None' } } }), 'node-a'), { role: 'disabled' });
});
