import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, formatIpv4, gatewayOf, isIpv4, parseCidr, parseIpv4 } from './cidr.ts';

test('gatewayOf is the last address minus 2', () => {
  assert.equal(gatewayOf('192.168.1.0/24'), '192.168.1.253');
  assert.equal(gatewayOf('10.0.0.0/16'), '10.0.255.253');
  assert.equal(gatewayOf('172.16.8.16/28'), '172.16.8.29');
  assert.equal(gatewayOf('192.168.1.0/29'), '192.168.1.5');
  // host bits set in the input do not move the gateway
  assert.equal(gatewayOf('192.168.1.77/24'), '192.168.1.253');
  assert.throws(() => gatewayOf('192.168.1.0/31'), RangeError);
});

test('parseCidr canonicalises the network and gives the first and last addresses', () => {
  const block = parseCidr('192.168.1.77/24');
  assert.equal(block.network, '192.168.1.0');
  assert.equal(block.prefixLength, 24);
  assert.equal(formatIpv4(block.first), '192.168.1.0');
  assert.equal(formatIpv4(block.last), '192.168.1.255');
  assert.equal(formatIpv4(parseCidr('0.0.0.0/0').last), '255.255.255.255');
  assert.equal(parseCidr('10.1.2.3/32').first, parseIpv4('10.1.2.3'));
  for (const bad of ['192.168.1.0', '192.168.1.0/33', '192.168.1.0/', '192.168.1.0/24/1', '300.1.1.1/24', 'x/24', '1.2.3.4/-1']) {
    assert.throws(() => parseCidr(bad), RangeError, bad);
  }
});

test('IPv4 parsing round-trips and rejects what is not an address', () => {
  for (const ip of ['0.0.0.0', '10.0.0.1', '192.168.1.253', '255.255.255.255']) assert.equal(formatIpv4(parseIpv4(ip)), ip);
  assert.equal(parseIpv4('1.0.0.0'), 16777216);
  for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '256.0.0.1', '1.2.3.x', '', ' 1.2.3.4']) assert.equal(isIpv4(bad), false, bad);
  assert.throws(() => formatIpv4(2 ** 32), RangeError);
});

test('cidrContains includes both ends and nothing outside', () => {
  assert.ok(cidrContains('192.168.1.0/24', '192.168.1.0'));
  assert.ok(cidrContains('192.168.1.0/24', '192.168.1.255'));
  assert.ok(!cidrContains('192.168.1.0/24', '192.168.2.0'));
  assert.ok(!cidrContains('192.168.1.0/24', '192.168.0.255'));
});
