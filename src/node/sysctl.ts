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

  /** Values of `names` for each of `links`; a link that vanished meanwhile is simply missing. */
  async read(links: readonly string[], names: readonly SysctlName[]): Promise<LinkSysctls> {
    const wanted = links.flatMap((link) => names.map((name) => ({ link, name })));
    const result: LinkSysctls = {};
    if (wanted.length === 0) return result;
    const values = this.netns ? await this.readInNetns(wanted) : await readHere(wanted);
    wanted.forEach(({ link, name }, i) => {
      const value = values[i];
      if (value === undefined) return;
      (result[link] ??= {})[name] = value;
    });
    return result;
  }

  /** Writes each value; returns those the kernel refused (e.g. the link is gone). */
  async write(writes: readonly SysctlWrite[]): Promise<SysctlFailure[]> {
    if (writes.length === 0) return [];
    return this.netns ? this.writeInNetns(writes) : writeHere(writes);
  }

  private async readInNetns(wanted: { link: string; name: SysctlName }[]): Promise<(number | undefined)[]> {
    const paths = wanted.map(({ link, name }) => pathOf(link, name));
    // grep -H prints `path:value` for each file it can read and goes on past missing ones.
    const result = await run(['ip', 'netns', 'exec', this.netns ?? '', 'grep', '-H', '', ...paths]);
    const byPath = new Map<string, number>();
    for (const line of result.stdout.split('\n')) {
      const cut = line.lastIndexOf(':');
      if (cut > 0) byPath.set(line.slice(0, cut), Number(line.slice(cut + 1)));
    }
    return paths.map((path) => byPath.get(path));
  }

  private async writeInNetns(writes: readonly SysctlWrite[]): Promise<SysctlFailure[]> {
    // procps sysctl keeps dots of interface names (eth0.100) when the key is written with slashes.
    const args = writes.map((w) => `net/ipv4/conf/${w.link}/${w.name}=${w.value}`);
    const result = await run(['ip', 'netns', 'exec', this.netns ?? '', 'sysctl', '-q', '-w', ...args]);
    if (result.code === 0) return [];
    const after = await this.read(
      writes.map((w) => w.link),
      writes.map((w) => w.name),
    );
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
