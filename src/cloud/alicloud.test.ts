import { test } from 'node:test';
import assert from 'node:assert/strict';
import Vpc from '@alicloud/vpc20160428';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { vpcEndpoint } from './alicloud.ts';

test('the VPC endpoint of a region is the one @alicloud/vpc20160428 would use', () => {
  const regions = ['cn-hangzhou', 'cn-beijing', 'cn-shanghai', 'cn-shenzhen', 'cn-hongkong', 'ap-southeast-1', 'eu-central-1', 'us-west-1', 'cn-shanghai-finance-1', 'cn-wuhan'];
  for (const regionId of regions) {
    const sdk = new Vpc.default(new $OpenApiUtil.Config({ regionId, accessKeyId: 'x', accessKeySecret: 'y' }));
    assert.equal(vpcEndpoint(regionId), sdk._endpoint, regionId);
  }
});
