import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RATE_LIMITS_PER_MINUTE, ECS_ACTIONS, parseRateLimits } from './rate-limits.ts';

test("every action has a default, and the defaults are Terway's", () => {
  assert.deepEqual(Object.keys(DEFAULT_RATE_LIMITS_PER_MINUTE).sort(), [...ECS_ACTIONS].sort());
  assert.equal(DEFAULT_RATE_LIMITS_PER_MINUTE.CreateNetworkInterface, 500);
  assert.equal(DEFAULT_RATE_LIMITS_PER_MINUTE.DescribeNetworkInterfaces, 800);
  assert.equal(DEFAULT_RATE_LIMITS_PER_MINUTE.DetachNetworkInterface, 400);
  assert.equal(DEFAULT_RATE_LIMITS_PER_MINUTE.DescribeVSwitches, 300);
  // Terway has no figure for the tag APIs: its default.
  assert.equal(DEFAULT_RATE_LIMITS_PER_MINUTE.TagResources, 500);
  assert.equal(DEFAULT_RATE_LIMITS_PER_MINUTE.UntagResources, 500);
});

test('parseRateLimits reads a flag value and refuses typos and nonsense', () => {
  assert.deepEqual(parseRateLimits('CreateNetworkInterface=100, DescribeNetworkInterfaces = 1200,'), {
    CreateNetworkInterface: 100,
    DescribeNetworkInterfaces: 1200,
  });
  assert.deepEqual(parseRateLimits(''), {});
  assert.deepEqual(parseRateLimits('DescribeInstances=Infinity'), { DescribeInstances: Infinity });
  assert.throws(() => parseRateLimits('CreateNetworkInterfaces=100'), /unknown ECS action/);
  assert.throws(() => parseRateLimits('CreateNetworkInterface=0'), /positive/);
  assert.throws(() => parseRateLimits('CreateNetworkInterface=fast'), /positive/);
  assert.throws(() => parseRateLimits('CreateNetworkInterface'), /positive/);
});
