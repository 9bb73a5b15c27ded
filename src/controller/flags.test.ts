import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError } from '../errors.ts';
import { parseDuration } from '../flags.ts';
import { parseFlags } from './flags.ts';

describe('parseDuration', () => {
  const cases: [string, number][] = [['250ms', 250], ['30s', 30_000], ['2m', 120_000], ['1h', 3_600_000], ['1m30s', 90_000], ['0', 0], ['1.5s', 1_500]];
  for (const [text, ms] of cases) it(`${text} = ${ms} ms`, () => assert.equal(parseDuration(text, 'x'), ms));
  for (const bad of ['', '10', 'abc', '5 m', '1d', '-1s', '2m3']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseDuration(bad, 'x'), FlagError));
  }
});

describe('parseFlags', () => {
  it('fills the defaults', () => {
    const flags = parseFlags(['--cluster-id', 'c1', '--region', 'cn-hangzhou'], {});
    assert.equal(flags.workers, 4);
    assert.equal(flags.protocol, 'https');
    assert.equal(flags.metricsBindAddress, ':8080');
    assert.equal(flags.leaderElect, false);
    assert.equal(flags.leaderElectionId, 'ecs-eni-controller');
    assert.equal(flags.leaderElectionNamespace, 'kube-system');
    assert.equal(flags.nodeGraceMs, 120_000);
    assert.equal(flags.gcIntervalMs, 600_000);
    assert.equal(flags.watchIntervalMs, 250);
    assert.deepEqual(flags.rateLimits, {});
  });

  it('takes every flag, rate limits repeated', () => {
    const flags = parseFlags(
      [
        '--cluster-id', 'c1', '--region', 'cn-beijing', '--ecs-endpoint', '127.0.0.1:1', '--vpc-endpoint', '127.0.0.1:2', '--protocol', 'http',
        '--workers', '8', '--leader-elect', '--leader-election-namespace', 'ns', '--leader-election-id', 'x', '--metrics-bind-address', '127.0.0.1:0',
        '--rate-limit', 'CreateNetworkInterface=100', '--rate-limit', 'DescribeNetworkInterfaces=900', '--node-grace', '30s', '--gc-interval', '0',
      ],
      {},
    );
    assert.equal(flags.region, 'cn-beijing');
    assert.equal(flags.protocol, 'http');
    assert.equal(flags.workers, 8);
    assert.equal(flags.leaderElect, true);
    assert.equal(flags.leaderElectionNamespace, 'ns');
    assert.deepEqual(flags.rateLimits, { CreateNetworkInterface: 100, DescribeNetworkInterfaces: 900 });
    assert.equal(flags.nodeGraceMs, 30_000);
    assert.equal(flags.gcIntervalMs, 0);
  });

  it('takes the region and the lease namespace from the environment', () => {
    const flags = parseFlags(['--cluster-id', 'c1'], { ALIBABA_CLOUD_REGION_ID: 'cn-shanghai', POD_NAMESPACE: 'eni-system' });
    assert.equal(flags.region, 'cn-shanghai');
    assert.equal(flags.leaderElectionNamespace, 'eni-system');
  });

  const bad: [string, string[], RegExp][] = [
    ['no cluster id', ['--region', 'r'], /--cluster-id is required/],
    ['no region', ['--cluster-id', 'c'], /--region is required/],
    ['a bad protocol', ['--cluster-id', 'c', '--region', 'r', '--protocol', 'ftp'], /--protocol/],
    ['zero workers', ['--cluster-id', 'c', '--region', 'r', '--workers', '0'], /--workers/],
    ['an unknown action', ['--cluster-id', 'c', '--region', 'r', '--rate-limit', 'Nope=1'], /--rate-limit: unknown ECS action/],
    ['an unknown flag', ['--cluster-id', 'c', '--region', 'r', '--bogus'], /bogus/],
    ['a bad duration', ['--cluster-id', 'c', '--region', 'r', '--node-grace', 'soon'], /--node-grace/],
  ];
  for (const [what, argv, message] of bad) {
    it(`rejects ${what}`, () => assert.throws(() => parseFlags(argv, {}), (err: Error) => err instanceof FlagError && message.test(err.message)));
  }
});
