// Per-interface IPv4 sysctls (net.ipv4.conf.<if>.*). In the agent's own namespace they are plain
// files under /proc/sys; for another namespace the tools run inside it (`ip netns exec`), because
// /proc/sys/net shows the namespace of the process that opens it.
import { readFile, writeFile } from 'node:fs/promises';
import type { LinkSysctls, SysctlName } from './kernel-state.ts';
import { run } from './run.ts';

export interface SysctlWrite {
  /** An interface name, or `all` / `default`. */
  link: string;
  name: SysctlName;
  value: number;
}

export interface SysctlFailure {
  write: SysctlWrite;
  message: string;
}

const CONF = '/proc/sys/net/ipv4/conf';

function pathOf(link: string, name: SysctlName): string {
  return `${CONF}/${link}/${name}`;
}

export class Sysctls {
  private readonly netns: string | undefined;

  constructor(options: { netns?: string } = {}) {
    this.netns = options.netns;
  }

  /**
   * Values of `names` for each of `links` (a link that vanished meanwhile is simply missing).
   * Reading another namespace costs a process, so there every link is read at once, and `links`
   * may be left out: the datapath then reads in parallel with `ip`, before it knows the ENI links.
   */
  async read(links: readonly string[] | undefined, names: readonly SysctlName[]): Promise<LinkSysctls> {
    if (this.netns) return this.readAllInNetns(names);
    const wanted = (links ?? []).flatMap((link) => names.map((name) => ({ link, name })));
    const values = await readHere(wanted);
    const result: LinkSysctls = {};
    wanted.forEach(({ link, name }, i) => {
      const value = values[i];
      if (value !== undefined) (result[link] ??= {})[name] = value;
    });
    return result;
  }

  /** True when read() needs no link names (another namespace: everything is read in one go). */
  readsAllLinks(): boolean {
    return this.netns !== undefined;
  }

  /** Writes each value; returns those the kernel refused (e.g. the link is gone). */
  async write(writes: readonly SysctlWrite[]): Promise<SysctlFailure[]> {
    if (writes.length === 0) return [];
    return this.netns ? this.writeInNetns(writes) : writeHere(writes);
  }

  private async readAllInNetns(names: readonly SysctlName[]): Promise<LinkSysctls> {
    // grep -r -H prints `/proc/sys/net/ipv4/conf/<link>/<name>:<value>` for every file it matches.
    const includes = names.map((name) => `--include=${name}`);
    const result = await run(['ip', 'netns', 'exec', this.netns ?? '', 'grep', '-r', '-H', '', ...includes, CONF]);
    const sysctls: LinkSysctls = {};
    for (const line of result.stdout.split('\n')) {
      const match = /^\/proc\/sys\/net\/ipv4\/conf\/([^/]+)\/([a-z_]+):(-?\d+)$/.exec(line);
      if (match) (sysctls[match[1] as string] ??= {})[match[2] as SysctlName] = Number(match[3]);
    }
    return sysctls;
  }

  private async writeInNetns(writes: readonly SysctlWrite[]): Promise<SysctlFailure[]> {
    // procps sysctl keeps dots of interface names (eth0.100) when the key is written with slashes.
    const args = writes.map((w) => `net/ipv4/conf/${w.link}/${w.name}=${w.value}`);
    const result = await run(['ip', 'netns', 'exec', this.netns ?? '', 'sysctl', '-q', '-w', ...args]);
    if (result.code === 0) return [];
    const after = await this.readAllInNetns(writes.map((w) => w.name));
    return writes
      .filter((w) => after[w.link]?.[w.name] !== w.value)
      .map((write) => ({ write, message: result.stderr.trim() || `sysctl exited ${result.code}` }));
  }
}

async function readHere(wanted: { link: string; name: SysctlName }[]): Promise<(number | undefined)[]> {
  return Promise.all(
    wanted.map(async ({ link, name }) => {
      try {
        return Number((await readFile(pathOf(link, name), 'utf8')).trim());
      } catch {
        return undefined;
      }
    }),
  );
}

async function writeHere(writes: readonly SysctlWrite[]): Promise<SysctlFailure[]> {
  const failures: SysctlFailure[] = [];
  for (const write of writes) {
    try {
      await writeFile(pathOf(write.link, write.name), String(write.value));
    } catch (error) {
      failures.push({ write, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return failures;
}
