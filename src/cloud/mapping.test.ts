import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eniFromSdk } from './mapping.ts';

test('an ENI from Describe: secondary addresses without the primary, tags as a map, the attachment instance', () => {
  const eni = eniFromSdk({
    networkInterfaceId: 'eni-1',
    status: 'InUse',
    type: 'Secondary',
    macAddress: '00:16:3e:00:00:01',
    privateIpSets: {
      privateIpSet: [
        { privateIpAddress: '192.168.1.7', primary: false },
        { privateIpAddress: '192.168.1.5', primary: true },
        { privateIpAddress: '192.168.1.6', primary: false },
      ],
    },
    attachment: { instanceId: 'i-a' },
    securityGroupIds: { securityGroupId: ['sg-1'] },
    tags: { tag: [{ tagKey: 'ecseni.io/cluster-id', tagValue: 'c1' }, { tagKey: 'empty' }] },
    vpcId: 'vpc-1',
    vSwitchId: 'vsw-1',
    zoneId: 'cn-hangzhou-h',
    creationTime: '2025-01-01T00:00:00Z',
  });
  assert.equal(eni.primaryIpAddress, '192.168.1.5');
  assert.deepEqual(eni.secondaryIpAddresses, ['192.168.1.7', '192.168.1.6']);
  assert.equal(eni.instanceId, 'i-a');
  assert.deepEqual(eni.tags, { 'ecseni.io/cluster-id': 'c1', empty: '' });
  assert.equal(eni.creationTime, '2025-01-01T00:00:00Z');
  assert.equal('description' in eni, false);
});

test('an Available ENI has no instanceId, and PrivateIpAddress wins for the primary', () => {
  const eni = eniFromSdk({ networkInterfaceId: 'eni-2', status: 'Available', privateIpAddress: '10.0.0.9', instanceId: '' });
  assert.equal(eni.instanceId, undefined);
  assert.equal('instanceId' in eni, false);
  assert.equal(eni.primaryIpAddress, '10.0.0.9');
  assert.deepEqual(eni.secondaryIpAddresses, []);
  assert.deepEqual(eni.securityGroupIds, []);
});
