import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddresses, parseLinks, parseRoutes, parseRules } from './kernel-state.ts';

// Rows as `ip -4 -N -json` prints them (iproute2 6.1).
test('links: index, name, lower-case MAC, MTU and the UP flag', () => {
  const links = parseLinks([
    { ifindex: 3, ifname: 'ens6', flags: ['BROADCAST', 'MULTICAST', 'UP'], mtu: 1500, address: '00:16:3E:AA:BB:CC' },
    { ifindex: 4, ifname: 'eth2', flags: ['BROADCAST'], mtu: 9000, address: '00:16:3e:00:00:01' },
  ]);
  assert.deepEqual(links, [
    { index: 3, name: 'ens6', mac: '00:16:3e:aa:bb:cc', mtu: 1500, up: true },
    { index: 4, name: 'eth2', mac: '00:16:3e:00:00:01', mtu: 9000, up: false },
  ]);
});

test('addresses: one per addr_info entry, with the noprefixroute flag', () => {
  const addresses = parseAddresses([
    {
      ifindex: 3,
      addr_info: [
        { family: 'inet', local: '10.0.0.5', prefixlen: 24, scope: '0', noprefixroute: true },
        { family: 'inet', local: '10.0.0.6', prefixlen: 24, scope: '0' },
      ],
    },
  ]);
  assert.deepEqual(addresses, [
    { family: 'inet', linkIndex: 3, ip: '10.0.0.5', prefixLength: 24, noPrefixRoute: true, scope: 0 },
    { family: 'inet', linkIndex: 3, ip: '10.0.0.6', prefixLength: 24, noPrefixRoute: false, scope: 0 },
  ]);
});

test('routes: a route without a table key is in main; numbers stay numbers', () => {
  const routes = parseRoutes(
    [
      { dst: 'default', gateway: '172.16.0.1', dev: 'eth0', protocol: '4', flags: [] },
      { dst: 'default', gateway: '10.0.0.253', dev: 'ens6', table: '30000', protocol: '236', flags: ['onlink'] },
      { type: '3', dst: '10.0.0.255', dev: 'ens6', table: '255', protocol: '2', scope: '253', flags: [] },
      { dst: '10.0.0.0/24', dev: 'ens6', table: '30000', protocol: '236', scope: '253', metric: 10, flags: [] },
    ],
    'inet',
  );
  assert.deepEqual(routes, [
    { family: 'inet', table: 254, dst: 'default', type: 1, protocol: 4, scope: 0, dev: 'eth0', gateway: '172.16.0.1', onlink: false },
    { family: 'inet', table: 30000, dst: 'default', type: 1, protocol: 236, scope: 0, dev: 'ens6', gateway: '10.0.0.253', onlink: true },
    { family: 'inet', table: 255, dst: '10.0.0.255', type: 3, protocol: 2, scope: 253, dev: 'ens6', onlink: false },
    { family: 'inet', table: 30000, dst: '10.0.0.0/24', type: 1, protocol: 236, scope: 253, dev: 'ens6', metric: 10, onlink: false },
  ]);
});

test('rules: the source gets its length; any other selector is recorded', () => {
  const rules = parseRules(
    [
      { priority: 0, src: 'all', table: '255' },
      { priority: 32765, src: '10.0.0.5', table: '30000', protocol: '236' },
      { priority: 100, src: '10.9.0.0', srclen: 16, table: '100' },
      { priority: 512, src: 'all', dst: '10.0.0.7', table: '1003', iif: 'eth0' },
    ],
    'inet',
  );
  assert.deepEqual(rules, [
    { family: 'inet', priority: 0, table: 255, protocol: 0, otherSelectors: [] },
    { family: 'inet', priority: 32765, table: 30000, protocol: 236, src: '10.0.0.5/32', otherSelectors: [] },
    { family: 'inet', priority: 100, table: 100, protocol: 0, src: '10.9.0.0/16', otherSelectors: [] },
    { family: 'inet', priority: 512, table: 1003, protocol: 0, otherSelectors: ['dst', 'iif'] },
  ]);
});
