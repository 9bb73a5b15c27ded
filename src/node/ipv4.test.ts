import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, formatCidr, parseCidr } from './ipv4.ts';

test('a CIDR is normalised to its network address', () => {
  assert.deepEqual(parseCidr('192.168.1.77/24'), { network: '192.168.1.0', prefixLength: 24 });
  assert.deepEqual(parseCidr('10.0.0.0/0'), { network: '0.0.0.0', prefixLength: 0 });
  assert.equal(formatCidr(parseCidr('172.16.33.5/20') ?? assert.fail()), '172.16.32.0/20');
});

test('malformed CIDRs are refused', () => {
  for (const bad of ['192.168.1.0', '192.168.1.0/33', '192.168.1/24', '256.1.1.1/8', 'a.b.c.d/8', '1.2.3.4/x']) {
    assert.equal(parseCidr(bad), undefined, bad);
  }
});

test('containment', () => {
  const cidr = parseCidr('192.168.1.0/24') ?? assert.fail();
  assert.ok(cidrContains(cidr, '192.168.1.253'));
  assert.ok(!cidrContains(cidr, '192.168.2.1'));
  assert.ok(!cidrContains(cidr, 'nonsense'));
});
