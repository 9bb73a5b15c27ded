// Which claim events cost the node agent a pass, against a real kube-apiserver. The datapath here
// records each pass and reports every ENI configured (the kernel side is tested on real namespaces
// in test/netns). A pass reads the kernel through `ip` processes and allocates; most claim events
// of a node ask nothing of its agent (the controller's progress on a claim the agent already
// holds, the echoes of the agent's own writes, claims disappearing after it let go of them), and
// those cost none.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import type { ClaimStatus } from '../../src/api/claim.ts';
import { AGENT_FINALIZER, CONTROLLER_FIELD_MANAGER, NODE_LABEL } from '../../src/api/names.ts';
import { ClaimClient } from '../../src/kube/claims.ts';
import { NodeAgent } from '../../src/node/agent.ts';
import type { Datapath, Intents, ReconcileResult } from '../../src/node/datapath.ts';
import type { EniOutcome, Plan } from '../../src/node/plan.ts';
import { startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { applyCrds } from '../support/crds.ts';
import { waitFor } from '../support/sim-world.ts';

const NODE = 'node-a';
/** Longer than the burst window (15 ms) and an API round trip: a pass that was asked for has started. */
const SETTLE_MS = 400;

/** Configures everything at once, and remembers what each pass was asked. */
class RecordingDatapath implements Datapath {
  readonly passes: Intents[] = [];
  private readonly tables = new Map<string, number>();

  async plan(intents: Intents): Promise<Plan> {
    return { changes: [], outcomes: this.outcomes(intents) };
  }

  async reconcile(intents: Intents): Promise<ReconcileResult> {
    this.passes.push(intents);
    return { outcomes: this.outcomes(intents), applied: [], failed: [], remaining: [] };
  }

  private outcomes(intents: Intents): Map<string, EniOutcome> {
    return new Map(
      intents.configure.map(({ claim }) => {
        const table = this.tables.get(claim) ?? 30_000 + this.tables.size;
        this.tables.set(claim, table);
        return [claim, { configured: true, interface: `eth${table - 29_999}`, table }];
      }),
    );
  }
}

describe('node agent: which claim events cost a pass', { concurrency: false }, () => {
  let cp: ControlPlane;
  let client: ClaimClient;
  let datapath: RecordingDatapath;
  let agent: NodeAgent;

  const createClaim = (name: string) =>
    client.create({ metadata: { name, labels: { [NODE_LABEL]: NODE } }, spec: { nodeName: NODE, vSwitchId: 'vsw-test1', securityGroupIds: ['sg-test1'] } });
  const attach = (name: string, n: number) => {
    const status: Partial<ClaimStatus> = {
      networkInterfaceId: `eni-${name}`,
      nodeName: NODE,
      macAddress: `00:16:3e:00:00:${String(n).padStart(2, '0')}`,
      primaryIpAddress: `192.168.50.${n}`,
      cidrBlock: '192.168.50.0/24',
      gateway: '192.168.50.1',
      conditions: [{ type: 'Attached', status: 'True', reason: 'Attached', message: '', lastTransitionTime: new Date().toISOString() }],
    };
    return client.applyStatus(name, CONTROLLER_FIELD_MANAGER, status);
  };
  const configured = async (name: string) => (await client.get(name))?.status?.conditions?.some((c) => c.type === 'Configured' && c.status === 'True');
  /** The passes that follow an action, once they are over. */
  const passesAfter = async (action: () => Promise<unknown>): Promise<Intents[]> => {
    const from = datapath.passes.length;
    await action();
    await sleep(SETTLE_MS);
    return datapath.passes.slice(from);
  };

  before(async () => {
    cp = await startControlPlane();
    await applyCrds(cp.kubeConfig);
    client = new ClaimClient(cp.kubeConfig);
    datapath = new RecordingDatapath();
    // No periodic pass during the test: every pass counted is one an event asked for.
    agent = new NodeAgent({ kube: cp.kubeConfig, nodeName: NODE, datapath, logger: pino({ level: 'silent' }), resyncMs: 600_000 });
    await agent.start();
    await waitFor('the first pass', () => agent.ready());
  });
  after(async () => {
    await agent?.stop();
    await cp?.stop();
  });

  test('claims bound here cost a pass, which takes the finalizer ahead of the attach', async () => {
    const passes = await passesAfter(async () => Promise.all(['a1', 'a2', 'a3'].map(createClaim)));
    // One for the lot when their events come within the burst window; never more than one each.
    assert.ok(passes.length >= 1 && passes.length <= 3, `${passes.length} passes`);
    for (const name of ['a1', 'a2', 'a3']) assert.ok((await client.get(name))?.metadata.finalizers?.includes(AGENT_FINALIZER), name);
  });

  test('progress written on a held claim that is not attached yet costs no pass', async () => {
    const passes = await passesAfter(async () =>
      client.applyStatus('a1', CONTROLLER_FIELD_MANAGER, {
        conditions: [{ type: 'Attached', status: 'False', reason: 'Attaching', message: '', lastTransitionTime: new Date().toISOString() }],
      }),
    );
    assert.equal(passes.length, 0);
  });

  test("attaching costs one pass each; the echoes of the agent's finalizer and status writes cost none", async () => {
    // One claim at a time: a finalizer write's watch event can come before its response, and the
    // agent must expect it from the moment it sends the write.
    for (const [n, name] of ['a1', 'a2', 'a3'].entries()) {
      const passes = await passesAfter(async () => {
        await attach(name, 10 + n);
        await waitFor(`${name} configured`, () => configured(name));
      });
      assert.equal(passes.length, 1, `passes for attaching ${name}`);
      assert.deepEqual(passes[0]?.configure.map((i) => i.claim).sort(), ['a1', 'a2', 'a3'].slice(0, n + 1));
      assert.ok((await client.get(name))?.metadata.finalizers?.includes(AGENT_FINALIZER));
    }
  });

  test('deleting costs the pass that releases it; its disappearance after the agent let go costs none', async () => {
    const passes = await passesAfter(async () => {
      await client.delete('a1');
      await waitFor('a1 gone', async () => (await client.get('a1')) === undefined);
    });
    assert.equal(passes.length, 1);
    assert.deepEqual(passes[0]?.release.map((i) => i.claim), ['a1']);
  });
});
