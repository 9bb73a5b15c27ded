// A node and its VPC made of network namespaces and veth pairs, for tests on a real kernel:
//
//   node ─ eth0 (primary, default route) ══ vpc          (the primary's gateway; a dead end)
//   node ─ <ENI link, hot-plugged> ══ vswitch: br0 holds the ENI subnet's gateway, forwards to
//   remote ─ eth0 ══ vswitch                               (a host behind the gateway)
//
// The vpc namespace has no route to the remote host, so a packet to it that leaves by the primary
// is lost: only traffic that leaves by an ENI gets an answer. Each topology has unique names
// (prefix + pid + random), and destroy() removes everything it made, also when a test failed.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from '../../src/node/run.ts';

export const PRIMARY = { link: 'eth0', ip: '172.31.0.10', prefixLength: 24, gateway: '172.31.0.1' } as const;
/** The ENIs' vSwitch: its CIDR and the gateway address the vswitch namespace holds. */
export const ENI_SUBNET = { cidr: '192.168.50.0/24', gateway: '192.168.50.253' } as const;
export const REMOTE = { ip: '10.200.0.2', gateway: '10.200.0.1' } as const;

const PREFIX = 'ecseni-t';
const PROBE = fileURLToPath(new URL('./netns-probe.ts', import.meta.url));

export interface PluggedEni {
  mac: string;
  /** The link's name in the node namespace (the agent must not rely on it). */
  name: string;
}

export interface Topology {
  /** Namespace names. */
  readonly node: string;
  readonly vpc: string;
  readonly vswitch: string;
  readonly remote: string;
  /** Hot-plugs an ENI: a veth whose node end carries `mac` (created down, as a new NIC is). */
  plugEni(options?: { mac?: string; name?: string }): Promise<PluggedEni>;
  /** Detaches an ENI: its link disappears from the node. */
  unplugEni(mac: string): Promise<void>;
  /** `ip -n <ns> …`; throws on a non-zero exit. */
  ip(ns: string, args: string[]): Promise<string>;
  /** `ip -n <ns> -json …`, parsed. */
  ipJson<T = Record<string, unknown>[]>(ns: string, args: string[]): Promise<T>;
  /** Runs a command inside a namespace. */
  exec(ns: string, argv: string[]): Promise<RunResult>;
  /** Routes of every table and rules of the node, IPv4, as `ip -json` prints them. */
  routingSnapshot(): Promise<{ routes: Record<string, unknown>[]; rules: Record<string, unknown>[] }>;
  /** tx/rx packet counters of a node link. */
  linkCounters(link: string): Promise<{ txPackets: number; rxPackets: number }>;
  /** A TCP server answering "pong" to each connection, bound to `host` inside `ns`. */
  tcpServer(ns: string, host: string, port: number): Promise<Probe>;
  /** Connects from `ns` (optionally from `localAddress`) and resolves true on a "pong". */
  tcpConnect(ns: string, host: string, port: number, options?: { localAddress?: string; timeoutMs?: number }): Promise<boolean>;
  /** A UDP receiver in `ns`; `received()` counts datagrams so far. */
  udpReceiver(ns: string, host: string, port: number): Promise<Probe & { received(): number }>;
  udpSend(ns: string, host: string, port: number, options?: { localAddress?: string }): Promise<void>;
  destroy(): Promise<void>;
}

export interface Probe {
  stop(): Promise<void>;
}

/**
 * Why this process cannot create network namespaces (for `describe(…, { skip })`), or false when it
 * can. With CI=true a missing capability throws: in CI these tests must run, never skip.
 */
export async function netnsUnavailable(): Promise<string | false> {
  const name = `${PREFIX}${process.pid}-probe`;
  const created = await run(['ip', 'netns', 'add', name]).catch((e: Error) => ({ code: 1, stderr: e.message, stdout: '' }));
  if (created.code === 0) {
    await run(['ip', 'netns', 'del', name]);
    return false;
  }
  const why = `network namespaces unavailable (need root and iproute2): ${created.stderr.trim()}`;
  if (process.env.CI === 'true') throw new Error(why);
  return why;
}

async function must(argv: string[]): Promise<string> {
  const result = await run(argv);
  if (result.code !== 0) throw new Error(`${argv.join(' ')} → exit ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

function randomMac(): string {
  const bytes = [...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0'));
  return `00:16:3e:${bytes.join(':')}`; // Alibaba Cloud's OUI, as real ENIs have
}

class NetnsTopology implements Topology {
  readonly node: string;
  readonly vpc: string;
  readonly vswitch: string;
  readonly remote: string;
  private readonly namespaces: string[];
  private readonly probes = new Set<ChildProcess>();
  private readonly plugged = new Map<string, string>();
  private nextPort = 0;

  constructor(id: string) {
    this.node = `${id}-node`;
    this.vpc = `${id}-vpc`;
    this.vswitch = `${id}-vsw`;
    this.remote = `${id}-rem`;
    this.namespaces = [this.node, this.vpc, this.vswitch, this.remote];
  }

  async build(): Promise<void> {
    for (const ns of this.namespaces) {
      await must(['ip', 'netns', 'add', ns]);
      await this.ip(ns, ['link', 'set', 'lo', 'up']);
    }
    const { node, vpc, vswitch, remote } = this;
    await this.ip(node, ['link', 'add', PRIMARY.link, 'type', 'veth', 'peer', 'name', 'up0', 'netns', vpc]);
    await this.ip(node, ['address', 'add', `${PRIMARY.ip}/${PRIMARY.prefixLength}`, 'dev', PRIMARY.link]);
    await this.ip(node, ['link', 'set', PRIMARY.link, 'up']);
    await this.ip(node, ['route', 'add', 'default', 'via', PRIMARY.gateway, 'dev', PRIMARY.link, 'proto', 'dhcp']);
    await this.ip(vpc, ['address', 'add', `${PRIMARY.gateway}/${PRIMARY.prefixLength}`, 'dev', 'up0']);
    await this.ip(vpc, ['link', 'set', 'up0', 'up']);
    await this.ip(vswitch, ['link', 'add', 'br0', 'type', 'bridge']);
    await this.ip(vswitch, ['address', 'add', `${ENI_SUBNET.gateway}/${ENI_SUBNET.cidr.split('/')[1]}`, 'dev', 'br0']);
    await this.ip(vswitch, ['link', 'set', 'br0', 'up']);
    await this.ip(vswitch, ['link', 'add', 'rem0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', remote]);
    await this.ip(vswitch, ['address', 'add', `${REMOTE.gateway}/24`, 'dev', 'rem0']);
    await this.ip(vswitch, ['link', 'set', 'rem0', 'up']);
    await this.exec(vswitch, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    await this.ip(remote, ['address', 'add', `${REMOTE.ip}/24`, 'dev', 'eth0']);
    await this.ip(remote, ['link', 'set', 'eth0', 'up']);
    await this.ip(remote, ['route', 'add', 'default', 'via', REMOTE.gateway]);
  }

  async plugEni(options: { mac?: string; name?: string } = {}): Promise<PluggedEni> {
    const mac = (options.mac ?? randomMac()).toLowerCase();
    const port = `p${this.nextPort++}`;
    const name = options.name ?? `ens${5 + this.nextPort}`;
    await this.ip(this.vswitch, ['link', 'add', port, 'type', 'veth', 'peer', 'name', name, 'address', mac, 'netns', this.node]);
    await this.ip(this.vswitch, ['link', 'set', port, 'master', 'br0', 'up']);
    this.plugged.set(mac, port);
    return { mac, name };
  }

  async unplugEni(mac: string): Promise<void> {
    const port = this.plugged.get(mac.toLowerCase());
    if (port === undefined) throw new Error(`no ENI with MAC ${mac} is plugged`);
    await this.ip(this.vswitch, ['link', 'del', port]);
    this.plugged.delete(mac.toLowerCase());
  }

  ip(ns: string, args: string[]): Promise<string> {
    return must(['ip', '-n', ns, ...args]);
  }

  async ipJson<T>(ns: string, args: string[]): Promise<T> {
    return JSON.parse(await this.ip(ns, ['-json', ...args])) as T;
  }

  exec(ns: string, argv: string[]): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', ns, ...argv]);
  }

  async routingSnapshot(): Promise<{ routes: Record<string, unknown>[]; rules: Record<string, unknown>[] }> {
    const [routes, rules] = await Promise.all([
      this.ipJson<Record<string, unknown>[]>(this.node, ['-4', 'route', 'show', 'table', 'all']),
      this.ipJson<Record<string, unknown>[]>(this.node, ['-4', 'rule', 'show']),
    ]);
    return { routes, rules };
  }

  async linkCounters(link: string): Promise<{ txPackets: number; rxPackets: number }> {
    type Stats = { stats64: { tx: { packets: number }; rx: { packets: number } } }[];
    const [row] = await this.ipJson<Stats>(this.node, ['-s', 'link', 'show', 'dev', link]);
    return { txPackets: row?.stats64.tx.packets ?? 0, rxPackets: row?.stats64.rx.packets ?? 0 };
  }

  async tcpServer(ns: string, host: string, port: number): Promise<Probe> {
    return this.startProbe(ns, ['tcp-server', host, String(port)]);
  }

  async tcpConnect(ns: string, host: string, port: number, options: { localAddress?: string; timeoutMs?: number } = {}): Promise<boolean> {
    const args = ['tcp-client', host, String(port), String(options.timeoutMs ?? 2000), options.localAddress ?? ''];
    const result = await this.exec(ns, [process.execPath, PROBE, ...args]);
    return result.code === 0 && result.stdout.includes('pong');
  }

  async udpReceiver(ns: string, host: string, port: number): Promise<Probe & { received(): number }> {
    let count = 0;
    const probe = await this.startProbe(ns, ['udp-server', host, String(port)], (line) => {
      if (line.startsWith('datagram')) count++;
    });
    return { ...probe, received: () => count };
  }

  async udpSend(ns: string, host: string, port: number, options: { localAddress?: string } = {}): Promise<void> {
    const result = await this.exec(ns, [process.execPath, PROBE, 'udp-client', host, String(port), options.localAddress ?? '']);
    if (result.code !== 0) throw new Error(`udp-client: ${result.stderr.trim()}`);
  }

  private async startProbe(ns: string, args: string[], onLine: (line: string) => void = () => {}): Promise<Probe> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, PROBE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.probes.add(child);
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) {
          if (line === 'ready') resolve();
          else if (line) onLine(line);
        }
      });
      child.on('exit', (code) => reject(new Error(`probe ${args.join(' ')} exited ${code}: ${errors.trim()}`)));
    });
    await ready;
    return {
      stop: async () => {
        this.probes.delete(child);
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      },
    };
  }

  async destroy(): Promise<void> {
    for (const child of this.probes) child.kill('SIGKILL');
    this.probes.clear();
    for (const ns of this.namespaces) await run(['ip', 'netns', 'del', ns]);
  }
}

/** Builds a fresh topology; on a failure half-way, whatever was made is removed again. */
export async function createTopology(): Promise<Topology> {
  const topology = new NetnsTopology(`${PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    await topology.build();
  } catch (error) {
    await topology.destroy();
    throw error;
  }
  return topology;
}

/** Removes namespaces that earlier test processes (now dead) left behind. */
export async function removeStaleNamespaces(): Promise<string[]> {
  const listed = await run(['ip', 'netns', 'list']);
  const stale = listed.stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(PREFIX))
    .filter((name) => {
      const pid = Number(name.slice(PREFIX.length).split('-')[0]);
      if (!Number.isInteger(pid) || pid === process.pid) return false;
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  for (const name of stale) await run(['ip', 'netns', 'del', name]);
  return stale;
}
