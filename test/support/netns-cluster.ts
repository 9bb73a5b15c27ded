// Several "nodes" sharing one VPC, made of network namespaces, for the demo and end-to-end tests:
//
//   node-X ─ eth0 (primary, default route) ══ vpc: br0 holds the primaries' gateway (a dead end)
//   node-X ─ <ENI link, hot-plugged by MAC> ══ vswitch: br0 holds the ENI vSwitch's gateway
//   remote ─ eth0 ══ vswitch                   (a host behind the gateway)
//
// As on ECS, the ENI vSwitch is shared by every node, so an ENI (and its address) can move from
// one node to another. Only traffic that leaves by an ENI reaches the remote host.
import { randomBytes } from 'node:crypto';
import { run, type RunResult } from '../../src/node/run.ts';

export interface ClusterNetworkOptions {
  nodes: string[];
  /** The ENI vSwitch: its CIDR and the gateway address (ECS: the CIDR's last address − 2). */
  eniSubnet: { cidr: string; gateway: string };
  /** Namespace name prefix (a random suffix keeps parallel runs apart). */
  prefix?: string;
}

export const PRIMARY_SUBNET = { prefixLength: 24, gateway: '172.31.0.1' } as const;
export const REMOTE_HOST = { ip: '10.200.0.2', gateway: '10.200.0.1' } as const;

export interface ClusterNetwork {
  /** The node's network namespace. */
  namespaceOf(node: string): string;
  primaryIpOf(node: string): string;
  readonly vswitch: string;
  readonly remote: string;
  /** Hot-plugs an ENI into a node: a veth whose node end carries `mac`, bridged into the vSwitch. */
  plugEni(node: string, mac: string): Promise<void>;
  /** The ENI's link disappears from whichever node holds it (no-op when not plugged). */
  unplugEni(mac: string): Promise<void>;
  /** The node that holds the ENI, if any. */
  nodeOfEni(mac: string): string | undefined;
  exec(ns: string, argv: string[]): Promise<RunResult>;
  ip(ns: string, args: string[]): Promise<string>;
  destroy(): Promise<void>;
}

async function must(argv: string[]): Promise<string> {
  const result = await run(argv);
  if (result.code !== 0) throw new Error(`${argv.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout;
}

export async function createClusterNetwork(options: ClusterNetworkOptions): Promise<ClusterNetwork> {
  const id = `${options.prefix ?? 'ecseni'}-${randomBytes(2).toString('hex')}`;
  const vpc = `${id}-vpc`;
  const vswitch = `${id}-vsw`;
  const remote = `${id}-remote`;
  const nodeNs = new Map(options.nodes.map((node) => [node, `${id}-${node}`]));
  const namespaces = [vpc, vswitch, remote, ...nodeNs.values()];
  const plugged = new Map<string, { node: string; port: string }>();
  let nextPort = 0;
  const ip = (ns: string, args: string[]): Promise<string> => must(['ip', '-n', ns, ...args]);
  const exec = (ns: string, argv: string[]): Promise<RunResult> => run(['ip', 'netns', 'exec', ns, ...argv]);
  const destroy = async (): Promise<void> => {
    for (const ns of namespaces) await run(['ip', 'netns', 'del', ns]);
  };
  const namespaceOf = (node: string): string => {
    const ns = nodeNs.get(node);
    if (!ns) throw new Error(`no node ${node} in this network`);
    return ns;
  };
  const primaryIpOf = (node: string): string => `172.31.0.${10 + options.nodes.indexOf(node)}`;

  try {
    for (const ns of namespaces) {
      await must(['ip', 'netns', 'add', ns]);
      await ip(ns, ['link', 'set', 'lo', 'up']);
    }
    for (const [ns, gateway, prefix] of [[vpc, PRIMARY_SUBNET.gateway, 24], [vswitch, options.eniSubnet.gateway, Number(options.eniSubnet.cidr.split('/')[1])]] as const) {
      await ip(ns, ['link', 'add', 'br0', 'type', 'bridge']);
      await ip(ns, ['address', 'add', `${gateway}/${prefix}`, 'dev', 'br0']);
      await ip(ns, ['link', 'set', 'br0', 'up']);
    }
    await ip(vswitch, ['link', 'add', 'rem0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', remote]);
    await ip(vswitch, ['address', 'add', `${REMOTE_HOST.gateway}/24`, 'dev', 'rem0']);
    await ip(vswitch, ['link', 'set', 'rem0', 'up']);
    await exec(vswitch, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    await ip(remote, ['address', 'add', `${REMOTE_HOST.ip}/24`, 'dev', 'eth0']);
    await ip(remote, ['link', 'set', 'eth0', 'up']);
    await ip(remote, ['route', 'add', 'default', 'via', REMOTE_HOST.gateway]);
    for (const [index, node] of options.nodes.entries()) {
      const ns = namespaceOf(node);
      // Like an ECS instance: eth0 with a DHCP-style default route through the VPC's gateway.
      await ip(ns, ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `n${index}`, 'netns', vpc]);
      await ip(vpc, ['link', 'set', `n${index}`, 'master', 'br0', 'up']);
      await ip(ns, ['address', 'add', `${primaryIpOf(node)}/${PRIMARY_SUBNET.prefixLength}`, 'dev', 'eth0']);
      await ip(ns, ['link', 'set', 'eth0', 'up']);
      await ip(ns, ['route', 'add', 'default', 'via', PRIMARY_SUBNET.gateway, 'dev', 'eth0', 'proto', 'dhcp']);
    }
  } catch (error) {
    await destroy();
    throw error;
  }

  return {
    namespaceOf,
    primaryIpOf,
    vswitch,
    remote,
    async plugEni(node: string, mac: string): Promise<void> {
      const key = mac.toLowerCase();
      if (plugged.has(key)) return;
      const port = `p${nextPort++}`;
      // A new NIC arrives down and named by the kernel's scheme, not ours: the agent finds it by MAC.
      await ip(vswitch, ['link', 'add', port, 'type', 'veth', 'peer', 'name', `ens${5 + nextPort}`, 'address', key, 'netns', namespaceOf(node)]);
      await ip(vswitch, ['link', 'set', port, 'master', 'br0', 'up']);
      plugged.set(key, { node, port });
    },
    async unplugEni(mac: string): Promise<void> {
      const entry = plugged.get(mac.toLowerCase());
      if (!entry) return;
      await ip(vswitch, ['link', 'del', entry.port]);
      plugged.delete(mac.toLowerCase());
    },
    nodeOfEni: (mac) => plugged.get(mac.toLowerCase())?.node,
    exec,
    ip,
    destroy,
  };
}
