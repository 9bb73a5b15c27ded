import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IpPool, contains, formatIpv4, gatewayOf, parseCidr, parseIpv4, usableCount } from './cidr.ts';

function cidr(text: string): NonNullable<ReturnType<typeof parseCidr>> {
  const parsed = parseCidr(text);
  assert.ok(parsed, text);
  return parsed;
}

describe('IPv4 parsing', () => {
  it('round-trips addresses, the top bit included', () => {
    for (const ip of ['0.0.0.0', '10.1.2.3', '192.168.1.253', '255.255.255.255']) {
      assert.equal(formatIpv4(parseIpv4(ip) as number), ip);
    }
  });

  it('rejects malformed addresses', () => {
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', 'a.b.c.d', '1.2.3.-1', '']) {
      assert.equal(parseIpv4(bad), undefined, bad);
    }
  });

  it('rejects CIDRs with host bits set or a bad prefix', () => {
    assert.equal(parseCidr('192.168.1.1/24'), undefined);
    assert.equal(parseCidr('192.168.1.0/33'), undefined);
    assert.equal(parseCidr('192.168.1.0'), undefined);
    assert.deepEqual(parseCidr('192.168.1.0/24'), { network: parseIpv4('192.168.1.0'), prefixLength: 24, size: 256 });
  });

  it('knows when one block lies inside another', () => {
    assert.equal(contains(cidr('192.168.0.0/16'), cidr('192.168.1.0/24')), true);
    assert.equal(contains(cidr('192.168.1.0/24'), cidr('192.168.0.0/16')), false);
    assert.equal(contains(cidr('10.0.0.0/8'), cidr('192.168.1.0/24')), false);
  });
});

describe('vSwitch reserved addresses', () => {
  it('reserves the first and the last three: 252 usable in a /24, 12 in a /28', () => {
    assert.equal(usableCount(cidr('192.168.1.0/24')), 252);
    assert.equal(usableCount(cidr('192.168.1.0/28')), 12);
  });

  it('puts the gateway at the last address minus 2', () => {
    assert.equal(gatewayOf(cidr('192.168.1.0/24')), '192.168.1.253');
    assert.equal(gatewayOf(cidr('10.0.0.16/28')), '10.0.0.29');
  });
});

describe('IpPool', () => {
  it('hands out every usable address of a /28 once, never a reserved one, then reports it full', () => {
    const pool = new IpPool(cidr('10.0.0.16/28'));
    const got = pool.allocateMany(12);
    assert.ok(got);
    assert.deepEqual(new Set(got).size, 12);
    for (const reserved of ['10.0.0.16', '10.0.0.29', '10.0.0.30', '10.0.0.31']) assert.ok(!got.includes(reserved), reserved);
    assert.equal(pool.available(), 0);
    assert.equal(pool.allocate(), undefined);
  });

  it('allocates all or nothing', () => {
    const pool = new IpPool(cidr('10.0.0.16/28'));
    assert.equal(pool.allocateMany(13), undefined);
    assert.equal(pool.available(), 12);
  });

  it('claims a given address once and refuses reserved or foreign ones', () => {
    const pool = new IpPool(cidr('192.168.1.0/24'));
    assert.equal(pool.claim('192.168.1.20'), true);
    assert.equal(pool.claim('192.168.1.20'), false);
    assert.equal(pool.claim('192.168.1.0'), false);
    assert.equal(pool.claim('192.168.1.253'), false);
    assert.equal(pool.claim('192.168.2.1'), false);
    assert.equal(pool.available(), 251);
  });

  it('skips claimed addresses and does not reuse a released one at once', () => {
    const pool = new IpPool(cidr('192.168.1.0/24'));
    pool.claim('192.168.1.1');
    assert.equal(pool.allocate(), '192.168.1.2');
    pool.release('192.168.1.2');
    assert.equal(pool.allocate(), '192.168.1.3');
    assert.equal(pool.isUsed('192.168.1.2'), false);
  });

  it('wraps around to addresses freed earlier once the end is reached', () => {
    const pool = new IpPool(cidr('10.0.0.16/28'));
    const all = pool.allocateMany(12) as string[];
    pool.release(all[3] as string);
    assert.equal(pool.allocate(), all[3]);
  });
});
