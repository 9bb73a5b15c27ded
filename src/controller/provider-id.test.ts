import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProviderId } from './provider-id.ts';

describe('parseProviderId', () => {
  const cases: [string | undefined, ReturnType<typeof parseProviderId>][] = [
    ['cn-hangzhou.i-bp1abc123', { regionId: 'cn-hangzhou', instanceId: 'i-bp1abc123' }],
    ['alicloud://cn-hangzhou.i-bp1abc123', { regionId: 'cn-hangzhou', instanceId: 'i-bp1abc123' }],
    ['ap-southeast-1.i-t4n0abc', { regionId: 'ap-southeast-1', instanceId: 'i-t4n0abc' }],
    ['cn-hangzhou.i-node-a', { regionId: 'cn-hangzhou', instanceId: 'i-node-a' }],
    ['cn-hangzhou.i-node-', undefined],
    [undefined, undefined],
    ['', undefined],
    ['aws:///us-east-1a/i-0abc', undefined],
    ['cn-hangzhou.', undefined],
    ['i-bp1abc123', undefined],
    ['alicloud://', undefined],
    ['cn-hangzhou.i-bp1abc.extra', undefined],
    ['kind://docker/kind/kind-worker', undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseProviderId(input), expected);
    });
  }
});
