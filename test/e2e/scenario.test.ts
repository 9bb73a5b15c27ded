// The demo's story as a test: the same steps (demo/scenario.ts), each asserting what must hold,
// against real processes, a real kube-apiserver, the simulator and real network namespaces.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SCENARIO } from '../../demo/scenario.ts';
import { DEMO_NODES, DEMO_VSWITCH, demoWorld } from '../../demo/world.ts';
import { startSystem, type System } from '../support/system.ts';
import { netnsUnavailable } from '../support/netns.ts';

describe('the demo scenario, end to end', { skip: await netnsUnavailable() }, () => {
  let sys: System;
  before(async () => {
    sys = await startSystem({
      world: demoWorld(), nodes: DEMO_NODES, vSwitchId: DEMO_VSWITCH, clusterId: 'e2e',
      controllerArgs: ['--failure-retry=2s', '--failure-retry-max=10s'],
    });
  });
  after(async () => {
    await sys?.stop();
  });

  for (const step of SCENARIO) {
    it(step.title, async () => {
      await step.run(sys);
    });
  }

  it('plugged and unplugged every virtual NIC without error', () => {
    assert.deepEqual(sys.plumbingErrors(), []);
  });
});
