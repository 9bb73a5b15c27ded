// Per-interface IPv4 sysctls (net.ipv4.conf.<if>.*). In the agent's own namespace they are plain
// files under /proc/sys/net, or under the directory where the host's /proc/sys/net is mounted
// (`--proc-sys-net`: a container's own /proc/sys is read-only under containerd/runc). For another
// namespace the tools run inside it (`ip netns exec`), because /proc/sys/net shows the namespace of
// the process that opens it.
import { access, constants, readFile, writeFile } from 'node:fs/promises';
import { SysctlsUnwritableError } from '../errors.ts';
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

/** Where the kernel shows the opening process's network sysctls. */
export const PROC_SYS_NET = '/proc/sys/net';
const CONF = `${PROC_SYS_NET}/ipv4/conf`;

export interface SysctlsOptions {
  /** A namespace under /var/run/netns; unset: the agent's own namespace. */
  netns?: string;
  /** The agent's own namespace's /proc/sys/net, wherever it is mounted (default /proc/sys/net). */
  procSysNet?: string;
}

/**
 * The file of net.ipv4.conf.<link>.<name> under `procSysNet`. Dots in a link name (a VLAN such as
 * eth0.100) stay: the directory carries the link's name as it is.
 */
export function sysctlPath(procSysNet: string, link: string, name: SysctlName): string {
  return `${procSysNet.replace(/\/+$/, '')}/ipv4/conf/${link}/${name}`;
}

export class Sysctls {
  private readonly netns: string | undefined;
  private readonly procSysNet: string;

  constructor(options: SysctlsOptions = {}) {
    if (options.netns !== undefined && options.procSysNet !== undefined) {
      throw new Error('Sysctls: netns and procSysNet exclude each other (another namespace is reached through ip netns exec)');
    }
    this.netns = options.netns;
    this.procSysNet = options.procSysNet ?? PROC_SYS_NET;
  }

  /**
   * Values of `names` for each of `links` (a link that vanished meanwhile is simply missing).
   * Reading another namespace costs a process, so there every link is read at once, and `links`
   * may be left out: the datapath then reads in parallel with `ip`, before it knows the ENI links.
   */
  async read(links: readonly string[] | undefined, names: readonly SysctlName[]): Promise<LinkSysctls> {
    if (this.netns) return this.readAllInNetns(names);
    const wanted = (links ?? []).flatMap((link) => names.map((name) => ({ link, name })));
    const values = await readHere(wanted.map(({ link, name }) => sysctlPath(this.procSysNet, link, name)));
    const result: LinkSysctls = {};
    wanted.forEach(({ link, name }, i) => {
      const value = values[i];
      if (value !== undefined) (result[link] ??= {})[name] = value;
    });
    return result;
  }

  /**
   * Fails fast when the sysctls cannot be written (a container's read-only /proc/sys, a missing
   * mount), rather than reporting every ENI ApplyFailed. Probes conf/all/rp_filter for write
   * access without writing it. Another namespace is checked by its first write.
   */
  async check(): Promise<void> {
    if (this.netns) return;
    const probe = sysctlPath(this.procSysNet, 'all', 'rp_filter');
    try {
      await access(probe, constants.R_OK | constants.W_OK);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new SysctlsUnwritableError(
        `cannot write the network sysctls under ${this.procSysNet} (${why}); in a container, mount the host's /proc/sys/net ` +
          'and pass its path as --proc-sys-net',
        { cause: error },
      );
    }
  }

  /** True when read() needs no link names (another namespace: everything is read in one go). */
  readsAllLinks(): boolean {
    return this.netns !== undefined;
  }

  /** Writes each value; returns those the kernel refused (e.g. the link is gone). */
  async write(writes: readonly SysctlWrite[]): Promise<SysctlFailure[]> {
    if (writes.length === 0) return [];
    return this.netns ? this.writeInNetns(writes) : writeHere(writes.map((write) => ({ write, path: sysctlPath(this.procSysNet, write.link, write.name) })));
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

async function readHere(paths: string[]): Promise<(number | undefined)[]> {
  return Promise.all(
    paths.map(async (path) => {
      try {
        return Number((await readFile(path, 'utf8')).trim());
      } catch {
        return undefined;
      }
    }),
  );
}

async function writeHere(writes: readonly { write: SysctlWrite; path: string }[]): Promise<SysctlFailure[]> {
  const results = await Promise.all(
    writes.map(async ({ write, path }): Promise<SysctlFailure | undefined> => {
      try {
        await writeFile(path, String(write.value));
        return undefined;
      } catch (error) {
        return { write, message: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  return results.filter((failure) => failure !== undefined);
}
