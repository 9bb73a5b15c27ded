import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareCodeUnits } from './strings.ts';

test('orders by code units, not by locale: upper case before lower, punctuation by its code', () => {
  assert.deepEqual(['b', 'a', 'B', 'eni-1', 'eni1', 'eni-10'].sort(compareCodeUnits), ['B', 'a', 'b', 'eni-1', 'eni-10', 'eni1']);
  assert.equal(compareCodeUnits('nic-a', 'nic-a'), 0);
});
