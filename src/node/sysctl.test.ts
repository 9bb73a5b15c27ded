import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SysctlsUnwritableError } from '../errors.ts';
import { PROC_SYS_NET, Sysctls, sysctlPath } from './sysctl.ts';

/** A stand-in for the host's /proc/sys/net mounted into the pod: ipv4/conf/<link>/<name> files. */
function fakeProcSysNet(links: Record<string, Record<string, number>>): string {
  const root = mkdtempSync(join(tmpdir(), 'ecseni-proc-sys-net-'));
  for (const [link, values] of Object.entries(links)) {
    mkdirSync(join(root, 'ipv4', 'conf', link), { recursive: true });
    for (const [name, value] of Object.entries(values)) writeFileSync(join(root, 'ipv4', 'conf', link, name), `${value}\n`);
  }
  return root;
}

test('sysctlPath: net.ipv4.conf.<link>.<name> under the given /proc/sys/net; dots of a VLAN name stay', () => {
  assert.equal(sysctlPath(PROC_SYS_NET, 'ens6', 'rp_filter'), '/proc/sys/net/ipv4/conf/ens6/rp_filter');
  assert.equal(sysctlPath('/host/proc/sys/net', 'eth0.100', 'arp_ignore'), '/host/proc/sys/net/ipv4/conf/eth0.100/arp_ignore');
  assert.equal(sysctlPath('/host/proc/sys/net/', 'eth1', 'promote_secondaries'), '/host/proc/sys/net/ipv4/conf/eth1/promote_secondaries');
});

test('procSysNet: reads and writes go under the mounted directory, and nowhere else', async (t) => {
  const root = fakeProcSysNet({ all: { rp_filter: 1 }, eth1: { rp_filter: 0, arp_ignore: 0, promote_secondaries: 0 } });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const sysctls = new Sysctls({ procSysNet: root });
  assert.equal(sysctls.readsAllLinks(), false);
  await sysctls.check();
  assert.deepEqual(await sysctls.read(['eth1', 'gone'], ['rp_filter', 'arp_ignore']), { eth1: { rp_filter: 0, arp_ignore: 0 } });
  const failures = await sysctls.write([
    { link: 'eth1', name: 'rp_filter', value: 2 },
    { link: 'eth1', name: 'arp_ignore', value: 1 },
    { link: 'gone', name: 'rp_filter', value: 2 },
  ]);
  assert.deepEqual(
    failures.map((f) => f.write.link),
    ['gone'],
    'a link without a directory is refused, as the kernel refuses a vanished link',
  );
  assert.equal(readFileSync(join(root, 'ipv4/conf/eth1/rp_filter'), 'utf8'), '2');
  assert.equal(readFileSync(join(root, 'ipv4/conf/eth1/arp_ignore'), 'utf8'), '1');
  assert.equal(readFileSync(join(root, 'ipv4/conf/all/rp_filter'), 'utf8'), '1\n', 'conf/all is never written');
  assert.deepEqual(await sysctls.read(['eth1'], ['rp_filter', 'arp_ignore', 'promote_secondaries']), {
    eth1: { rp_filter: 2, arp_ignore: 1, promote_secondaries: 0 },
  });
});

test('default: the real /proc/sys/net of this process', async () => {
  const values = await new Sysctls().read(['lo'], ['rp_filter']);
  assert.equal(values.lo?.rp_filter, Number(readFileSync('/proc/sys/net/ipv4/conf/lo/rp_filter', 'utf8')));
});

test('check: a directory without the sysctls (a mount that is missing) fails fast, naming the flag', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ecseni-proc-sys-net-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  await assert.rejects(new Sysctls({ procSysNet: root }).check(), (err: Error) => {
    assert.ok(err instanceof SysctlsUnwritableError);
    assert.equal(err.code, 'ECSENI_NODE_SYSCTLS_UNWRITABLE');
    assert.match(err.message, /--proc-sys-net/);
    assert.ok(err.message.includes(root));
    return true;
  });
});

test('netns and procSysNet exclude each other', () => {
  assert.throws(() => new Sysctls({ netns: 'n1', procSysNet: '/host/proc/sys/net' }), /exclude each other/);
});
