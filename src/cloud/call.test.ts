import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientError, ThrottlingError } from '@alicloud/openapi-core';
import { EcsCaller } from './call.ts';
import type { EcsCallMetrics } from './call.ts';
import { CloudError } from './errors.ts';
import type { EcsAction } from './rate-limits.ts';
import { ECS_SUCCESS_CODE } from '../metrics.ts';

function recorder(): EcsCallMetrics & { calls: [EcsAction, string][]; throttled: EcsAction[] } {
  const calls: [EcsAction, string][] = [];
  const throttled: EcsAction[] = [];
  return { calls, throttled, observeCall: (a, code) => void calls.push([a, code]), observeThrottled: (a) => void throttled.push(a) };
}

function apiError(code: string, statusCode: number): Error {
  const map = { code, statusCode, message: code, data: { Code: code, Message: 'm' }, requestId: 'R', retryAfter: 250 };
  return code.includes('Throttling') ? new ThrottlingError(map) : new ClientError(map);
}

test('each call is measured with its result code; throttling is counted apart and keeps retryAfterMs', async () => {
  const metrics = recorder();
  const caller = new EcsCaller({ metrics });
  assert.equal(await caller.call('DescribeInstances', async () => 42), 42);
  const err = await caller.call('CreateNetworkInterface', () => Promise.reject(apiError('Throttling.User', 400))).catch((e: unknown) => e);
  assert.ok(err instanceof CloudError);
  assert.deepEqual([err.retryClass, err.retryAfterMs], ['throttled', 250]);
  assert.deepEqual(metrics.calls, [['DescribeInstances', ECS_SUCCESS_CODE], ['CreateNetworkInterface', 'Throttling.User']]);
  assert.deepEqual(metrics.throttled, ['CreateNetworkInterface']);
});

test('remove() counts NotFound as done on detach and delete, and nothing else', async () => {
  const caller = new EcsCaller();
  await caller.remove('DeleteNetworkInterface', () => Promise.reject(apiError('InvalidEniId.NotFound', 404)));
  await caller.remove('DetachNetworkInterface', () => Promise.reject(apiError('InvalidEcsId.NotFound', 404)));
  await assert.rejects(
    caller.remove('DeleteNetworkInterface', () => Promise.reject(apiError('InvalidOperation.InvalidEniState', 400))),
    (e: unknown) => e instanceof CloudError && e.reason === 'InvalidEniState',
  );
  // an instance id that is unknown to a delete is not a deleted ENI
  await assert.rejects(caller.remove('DeleteNetworkInterface', () => Promise.reject(apiError('InvalidEcsId.NotFound', 404))));
});

test('a call that outlives the timeout fails as a transient Timeout and frees its slot', async () => {
  const metrics = recorder();
  const caller = new EcsCaller({ timeoutMs: 50, maxConcurrentCalls: 1, metrics });
  const started = performance.now();
  await assert.rejects(caller.call('DescribeInstances', () => sleep(2_000, undefined, { ref: false })), (e: unknown) => e instanceof CloudError && e.code === 'Timeout' && e.retryClass === 'transient');
  assert.ok(performance.now() - started < 1_000);
  assert.equal(await caller.call('DescribeInstances', async () => 'next'), 'next');
  assert.deepEqual(metrics.calls, [['DescribeInstances', 'Timeout'], ['DescribeInstances', ECS_SUCCESS_CODE]]);
});

test('no more than maxConcurrentCalls run at once', async () => {
  const caller = new EcsCaller({ maxConcurrentCalls: 3 });
  let running = 0;
  let peak = 0;
  const send = async (): Promise<void> => {
    peak = Math.max(peak, ++running);
    await sleep(20);
    running--;
  };
  await Promise.all(Array.from({ length: 12 }, () => caller.call('DescribeInstances', send)));
  assert.equal(peak, 3);
});

test('the per-action rate limit holds back the call after the burst, and only for that action', async () => {
  const caller = new EcsCaller({ rateLimitsPerMinute: { AttachNetworkInterface: 120 } }); // burst 120, then one per 500 ms
  const started = performance.now();
  await Promise.all(Array.from({ length: 120 }, () => caller.call('AttachNetworkInterface', async () => undefined)));
  await caller.call('DetachNetworkInterface', async () => undefined);
  assert.ok(performance.now() - started < 250, 'the burst goes at once, and another action is not held back');
  await caller.call('AttachNetworkInterface', async () => undefined);
  assert.ok(performance.now() - started >= 480, 'call 121 waits for a token');
});
