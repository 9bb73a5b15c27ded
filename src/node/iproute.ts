// Kernel access through iproute2: read links, addresses, routes and rules with `ip -json`, apply a
// change set with one `ip -batch` process that also reads the result back. `netns` makes every
// call act on a named namespace (`ip -n NAME`), so that tests and the demo can run an agent per
// "node" namespace.
import { parseAddresses, parseLinks, parseRoutes, parseRules, type KernelState } from './kernel-state.ts';
import { ToolFailedError } from '../errors.ts';
import { run, type RunResult } from './run.ts';

export interface IpRouteOptions {
  /** A namespace under /var/run/netns; unset: the agent's own namespace. */
  netns?: string;
  /** Path of `ip`; default `ip` from PATH. */
  binary?: string;
}

/** One command of a batch that the kernel refused. */
export interface BatchFailure {
  /** Position of the command in the batch, from 0. */
  index: number;
  command: string;
  message: string;
}

// One process per family: `-4`/`-6` are global options, and a batch line cannot carry them.
// `addr show` under -4 lists only links with an IPv4 address, hence the separate `link show`;
// -d (details) adds each link's kind, which tells a VLAN or bond from the device whose MAC it shares.
const IPV4_READ = ['link show', 'address show', 'route show table all', 'rule show'];
const IPV6_READ = ['route show table all', 'rule show'];

type Json = Record<string, unknown>;
type Family = '-4' | '-6';

export class IpRoute {
  private readonly binary: string;
  private readonly netnsArgs: string[];

  constructor(options: IpRouteOptions = {}) {
    this.binary = options.binary ?? 'ip';
    this.netnsArgs = options.netns ? ['-n', options.netns] : [];
  }

  /** A consistent-enough snapshot: two `ip` processes, read in parallel. */
  async read(): Promise<KernelState> {
    const [v4, v6] = await Promise.all([this.show('-4', IPV4_READ), this.show('-6', IPV6_READ)]);
    return stateOf(v4, v6);
  }

  /**
   * Runs `commands` in one `ip -force -batch -` and reads the state after them. -force goes on
   * after a failed command, and each failure is reported with the position of its command
   * (iproute2 prints `Command failed -:N`). The IPv4 read rides at the end of the same batch (a
   * batch runs in order, and add/del/set print nothing under -json), one process round trip fewer
   * than apply-then-read; the IPv6 read runs beside it. Safe because every command the agent
   * sends is IPv4 (it owns only inet routes and rules; under -4 a rule without an address is
   * inet, as it is without -4).
   */
  async applyAndRead(commands: readonly string[]): Promise<{ failures: BatchFailure[]; state: KernelState }> {
    const batch = [...commands, ...IPV4_READ];
    const [v4, v6] = await Promise.all([this.batch('-4', batch, ['-force']), this.show('-6', IPV6_READ)]);
    const failures = failuresOf(v4, batch, commands.length);
    return { failures, state: stateOf(documentsOf(v4.stdout, IPV4_READ.length, '-4'), v6) };
  }

  /** The command line of a long-lived `ip monitor` for the given objects (link, address, …). */
  monitorCommand(objects: readonly string[]): string[] {
    return [this.binary, ...this.netnsArgs, 'monitor', ...objects];
  }

  private async show(family: Family, commands: readonly string[]): Promise<Json[][]> {
    const result = await this.batch(family, commands);
    if (result.code !== 0) throw new ToolFailedError(`ip ${family} -json -batch: ${result.stderr.trim()}`);
    return documentsOf(result.stdout, commands.length, family);
  }

  /** One `ip <family> -d -N -json [extra] -batch -` process over `commands`. */
  private batch(family: Family, commands: readonly string[], extra: readonly string[] = []): Promise<RunResult> {
    return run([this.binary, ...this.netnsArgs, family, '-d', '-N', '-json', ...extra, '-batch', '-'], `${commands.join('\n')}\n`);
  }
}

/** The JSON document of each show command: one line each, in the order of the commands. */
function documentsOf(stdout: string, expected: number, family: Family): Json[][] {
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  if (lines.length !== expected) throw new ToolFailedError(`ip ${family} -json printed ${lines.length} documents for ${expected} show commands`);
  return lines.map((line) => JSON.parse(line) as Json[]);
}

function stateOf(v4: Json[][], v6: Json[][]): KernelState {
  const [links = [], addresses = [], routes4 = [], rules4 = []] = v4;
  const [routes6 = [], rules6 = []] = v6;
  return {
    links: parseLinks(links),
    addresses: parseAddresses(addresses),
    routes: [...parseRoutes(routes4, 'inet'), ...parseRoutes(routes6, 'inet6')],
    rules: [...parseRules(rules4, 'inet'), ...parseRules(rules6, 'inet6')],
  };
}

/**
 * The failures among the first `changing` commands of a batch run with -force. A failed command
 * past them (a show appended to the batch) or an exit without a failure reported is the tool's.
 */
function failuresOf(result: RunResult, commands: readonly string[], changing: number): BatchFailure[] {
  if (result.code === 0) return [];
  const failures = parseBatchFailures(result.stderr, commands);
  if (failures.length === 0 || failures.some((f) => f.index >= changing)) throw new ToolFailedError(`ip -batch exited ${result.code}: ${result.stderr.trim()}`);
  return failures;
}

/** Splits iproute2's batch stderr into the messages of each failed command. */
export function parseBatchFailures(stderr: string, commands: readonly string[]): BatchFailure[] {
  const failures: BatchFailure[] = [];
  let pending: string[] = [];
  for (const line of stderr.split('\n')) {
    const match = /^Command failed -:(\d+)$/.exec(line.trim());
    if (!match) {
      if (line.trim() !== '') pending.push(line.trim());
      continue;
    }
    const index = Number(match[1]) - 1;
    failures.push({ index, command: commands[index] ?? '', message: pending.join('; ') || 'failed' });
    pending = [];
  }
  return failures;
}
