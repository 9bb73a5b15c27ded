// The system keeps its promises through crashes and restarts: the controller killed mid-lifecycle,
// a node agent killed, the kube-apiserver restarted. Afterwards every claim converges, and the
// simulator's books show no leaked and no duplicate ENI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceClaim } from '../../src/api/claim.ts';
import { TAG_CLAIM_UID, TAG_CLUSTER_ID } from '../../src/api/names.ts';
import { AGENT_PROTOCOL } from '../../src/node/marks.ts';
import { DEMO_NODES, DEMO_VSWITCH, demoWorld } from '../../demo/world.ts';
import { startSystem, type System } from '../support/system.ts';
import { netnsUnavailable } from '../support/netns.ts';

function claimManifest(name: string, nodeName: string, secondaryPrivateIpAddressCount = 0): string {
  return JSON.stringify({
    apiVersion: 'ecseni.io/v1alpha1', kind: 'NetworkInterfaceClaim', metadata: { name },
    spec: { nodeName, vSwitchId: DEMO_VSWITCH, securityGroupIds: ['sg-demo-web'], secondaryPrivateIpAddressCount },
  });
}

function ready(claim: NetworkInterfaceClaim | undefined): boolean {
  return claim?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true &&
    claim.status?.observedGeneration === claim.metadata.generation;
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`${what} did not happen within ${timeoutMs / 1000} s`);
}

describe('disruptions', { skip: await netnsUnavailable() }, () => {
  let sys: System;
  const names = ['crash-a1', 'crash-a2', 'crash-b1'];
  const nodeOf: Record<string, string> = { 'crash-a1': 'node-a', 'crash-a2': 'node-a', 'crash-b1': 'node-b' };

  async function allReady(): Promise<boolean> {
    const claims = await Promise.all(names.map((n) => sys.claims.get(n)));
    return claims.every(ready);
  }

  /** Per claim UID, the ENIs in ECS that carry it: exactly one each while the claim lives. */
  async function enisPerClaim(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const name of names) {
      const uid = (await sys.claims.get(name))?.metadata.uid;
      if (uid) counts.set(name, sys.sim.sim.listEnis().filter((e) => e.tags[TAG_CLAIM_UID] === uid).length);
    }
    return counts;
  }

  async function agentRules(node: string): Promise<string[]> {
    const rules = JSON.parse(await sys.network.ip(sys.network.namespaceOf(node), ['-json', 'rule', 'show'])) as { src?: string; table?: string; protocol?: string }[];
    return rules.filter((r) => r.protocol === String(AGENT_PROTOCOL)).map((r) => `${r.src}→${r.table}`).sort();
  }

  before(async () => {
    sys = await startSystem({
      world: demoWorld(), nodes: DEMO_NODES, vSwitchId: DEMO_VSWITCH, clusterId: 'e2e-disrupt',
      controllerArgs: ['--failure-retry=2s', '--failure-retry-max=10s'],
    });
  });
  after(async () => {
    await sys?.stop();
  });

  it('controller killed mid-lifecycle and restarted: every claim converges with exactly one ENI', async () => {
    for (const name of names) await sys.kubectl(['apply', '-f', '-'], claimManifest(name, nodeOf[name]!));
    // Kill it as soon as the first ENI exists: creates and attaches are in flight.
    await eventually('a first ENI', async () => sys.sim.sim.listEnis().some((e) => e.tags[TAG_CLUSTER_ID] === 'e2e-disrupt'), 30_000);
    await sys.stopController('SIGKILL');
    await sys.startController();
    await eventually('all claims Ready', allReady);
    assert.deepEqual([...(await enisPerClaim()).values()], [1, 1, 1]);
  });

  it('a node agent killed and restarted: same kernel state, no duplicates, changes made meanwhile applied', async () => {
    const before = await agentRules('node-a');
    assert.equal(before.length, 2, `expected one rule per claim on node-a, got ${before.join(', ')}`);
    await sys.stopAgent('node-a', 'SIGKILL');
    await sys.kubectl(['patch', 'nic', 'crash-a1', '--type=merge', '-p', '{"spec":{"secondaryPrivateIpAddressCount":2}}']);
    await new Promise((r) => setTimeout(r, 1000));
    await sys.startAgent('node-a');
    await eventually('crash-a1 Ready with 2 secondary IPs', async () => {
      const claim = await sys.claims.get('crash-a1');
      return ready(claim) && claim?.status?.secondaryPrivateIpAddresses?.length === 2;
    });
    await eventually('a rule for each address of node-a\'s ENIs', async () => (await agentRules('node-a')).length === 4);
    const rules = await agentRules('node-a');
    assert.equal(new Set(rules).size, rules.length, `duplicate rules: ${rules.join(', ')}`);
  });

  it('the kube-apiserver restarted: watches resume and later changes converge', async () => {
    await sys.cp.restartApiServer();
    await sys.kubectl(['patch', 'nic', 'crash-b1', '--type=merge', '-p', '{"spec":{"securityGroupIds":["sg-demo-db"]}}']);
    await eventually('crash-b1 in sg-demo-db', async () => {
      const claim = await sys.claims.get('crash-b1');
      return ready(claim) && claim?.status?.securityGroupIds?.join() === 'sg-demo-db';
    });
    await sys.kubectl(['apply', '-f', '-'], claimManifest('after-restart', 'node-a'));
    await eventually('a claim made after the restart Ready', async () => ready(await sys.claims.get('after-restart')));
    names.push('after-restart');
    assert.deepEqual([...(await enisPerClaim()).values()], [1, 1, 1, 1]);
  });

  it('all released: no leaked ENI and no duplicate in the simulator\'s books', async () => {
    await sys.kubectl(['delete', 'nic', '--all', '--timeout=120s']);
    await eventually('our ENIs gone from ECS', async () => !sys.sim.sim.listEnis().some((e) => e.tags[TAG_CLUSTER_ID] === 'e2e-disrupt'));
    // Every ENI that ever existed has a history in the simulator: the nodes' primaries, the world's
    // own ENI, and one per claim — a create retried after the crash reused the claim's ClientToken.
    const everExisted = Object.keys(sys.sim.sim.snapshot().history).length;
    assert.equal(everExisted, DEMO_NODES.length + 1 + names.length, 'an ENI was created twice for one claim');
    assert.equal(sys.sim.sim.listEnis().length, DEMO_NODES.length + 1, 'an ENI was leaked');
    for (const node of DEMO_NODES) assert.deepEqual(await agentRules(node.name), [], `${node.name} kept rules`);
  });
});
