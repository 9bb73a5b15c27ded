import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../kube/clock.ts';
import { CloudBudget } from './cloud-budget.ts';

describe('CloudBudget', () => {
  it('admits a burst at once, then tells each claim when its token is due instead of making it wait', () => {
    const clock = new FakeClock(0);
    const budget = new CloudBudget({ CreateNetworkInterface: 60 }, clock); // one a second, burst 60
    for (let i = 0; i < 60; i++) assert.equal(budget.admit(`c${i}`, 'CreateNetworkInterface'), 0);
    assert.equal(budget.admit('late-1', 'CreateNetworkInterface'), 1_000);
    assert.equal(budget.admit('late-2', 'CreateNetworkInterface'), 2_000);
    assert.equal(budget.admit('late-1', 'CreateNetworkInterface'), 1_000, 'asking again does not take a second token');
    clock.advance(1_000);
    assert.equal(budget.admit('late-1', 'CreateNetworkInterface'), 0, 'due: go');
    assert.equal(budget.admit('late-2', 'CreateNetworkInterface'), 1_000);
  });

  it('keeps actions apart, and gives up a token the claim no longer needs', () => {
    const clock = new FakeClock(0);
    const budget = new CloudBudget({ CreateNetworkInterface: 1, AttachNetworkInterface: 1 }, clock);
    assert.equal(budget.admit('a', 'CreateNetworkInterface'), 0);
    assert.equal(budget.admit('b', 'AttachNetworkInterface'), 0, 'another action has its own bucket');
    assert.equal(budget.admit('b', 'CreateNetworkInterface'), 60_000);
    assert.equal(budget.admit('b', 'AttachNetworkInterface'), 60_000, 'the create token was given up; the next attach token is a minute away');
  });

  it("uses Terway's defaults for actions not overridden", () => {
    const clock = new FakeClock(0);
    const budget = new CloudBudget({}, clock);
    for (let i = 0; i < 400; i++) budget.admit(`d${i}`, 'DetachNetworkInterface');
    assert.equal(budget.admit('next', 'DetachNetworkInterface'), 150, '400 a minute: one every 150 ms');
  });
});
