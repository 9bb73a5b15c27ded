// The story the demo tells and the end-to-end test checks, step by step, with the example claims of
// deploy/examples/. Each step acts as a person would (kubectl, or the cloud console for stopping an
// instance), waits for the system to converge, checks what must hold, and returns what to show.
// A failed check throws, naming what did not hold.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetworkInterfaceClaim } from '../src/api/claim.ts';
import { TAG_CLUSTER_ID } from '../src/api/names.ts';
import { AGENT_PROTOCOL } from '../src/node/marks.ts';
import type { System } from '../test/support/system.ts';
import { REMOTE_HOST } from '../test/support/netns-cluster.ts';
import { ADOPTED_ENI, DEMO_NODES } from './world.ts';

const EXAMPLES = fileURLToPath(new URL('../deploy/examples/', import.meta.url));
const CONVERGE_MS = 90_000;

export interface Step {
  title: string;
  run(sys: System): Promise<string[]>;
}

// --- reading the system ---------------------------------------------------------------------

function conditionOf(claim: NetworkInterfaceClaim | undefined, type: string): { status: string; reason: string; message: string } | undefined {
  return claim?.status?.conditions?.find((c) => c.type === type);
}

function isReady(claim: NetworkInterfaceClaim | undefined): boolean {
  return conditionOf(claim, 'Ready')?.status === 'True' && claim?.status?.observedGeneration === claim?.metadata.generation;
}

async function waitClaim(
  sys: System, name: string, what: string, check: (claim: NetworkInterfaceClaim | undefined) => boolean, timeoutMs = CONVERGE_MS,
): Promise<NetworkInterfaceClaim | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last: NetworkInterfaceClaim | undefined;
  while (Date.now() < deadline) {
    last = await sys.claims.get(name);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  const conditions = last?.status?.conditions?.map((c) => `${c.type}=${c.status}(${c.reason}: ${c.message})`).join(', ');
  throw new Error(`${name}: ${what} did not happen within ${timeoutMs / 1000} s; conditions: ${conditions ?? 'claim gone'}`);
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = CONVERGE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
}

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function getNic(sys: System): Promise<string[]> {
  return (await sys.kubectl(['get', 'nic'])).trimEnd().split('\n');
}

async function apply(sys: System, example: string): Promise<string> {
  return (await sys.kubectl(['apply', '-f', join(EXAMPLES, example)])).trim();
}

async function patch(sys: System, name: string, spec: Record<string, unknown>): Promise<string> {
  return (await sys.kubectl(['patch', 'nic', name, '--type=merge', '-p', JSON.stringify({ spec })])).trim();
}

async function linkOf(sys: System, node: string, mac: string): Promise<string | undefined> {
  const links = JSON.parse(await sys.network.ip(sys.network.namespaceOf(node), ['-json', 'link', 'show'])) as { ifname: string; address: string }[];
  return links.find((l) => l.address === mac)?.ifname;
}

async function addressesOf(sys: System, node: string, link: string): Promise<string[]> {
  type Addr = { addr_info: { family: string; local: string }[] }[];
  const rows = JSON.parse(await sys.network.ip(sys.network.namespaceOf(node), ['-json', 'address', 'show', 'dev', link])) as Addr;
  return (rows[0]?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => a.local).sort();
}

/** The agent's rules and routes on a node: those carrying its protocol mark. */
async function agentState(sys: System, node: string): Promise<{ rules: string[]; routes: string[] }> {
  const ns = sys.network.namespaceOf(node);
  const mark = String(AGENT_PROTOCOL);
  const rules = JSON.parse(await sys.network.ip(ns, ['-json', 'rule', 'show'])) as { src?: string; table?: string; protocol?: string }[];
  const routes = JSON.parse(await sys.network.ip(ns, ['-json', 'route', 'show', 'table', 'all'])) as { dst?: string; table?: string; protocol?: string; gateway?: string }[];
  return {
    rules: rules.filter((r) => r.protocol === mark).map((r) => `from ${r.src} lookup ${r.table}`),
    routes: routes.filter((r) => r.protocol === mark).map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} table ${r.table}`),
  };
}

async function shell(sys: System, node: string, argv: string[]): Promise<{ ok: boolean; out: string }> {
  const result = await sys.network.exec(sys.network.namespaceOf(node), argv);
  return { ok: result.code === 0, out: `${result.stdout}${result.stderr}`.trim() };
}

function secondaryEnis(sys: System): { id: string; status: string; tags: Record<string, string>; instanceId?: string; securityGroupIds: string[] }[] {
  return sys.sim.sim.listEnis().filter((e) => e.type === 'Secondary');
}

// --- the story --------------------------------------------------------------------------------

export const SCENARIO: Step[] = [
  {
    title: 'a claim for one ENI on node-a (deploy/examples/single-eni.yaml) becomes Ready',
    async run(sys) {
      const applied = await apply(sys, 'single-eni.yaml');
      const claim = await waitClaim(sys, 'web-node-a', 'Ready', isReady);
      const eni = sys.sim.sim.getEni(claim!.status!.networkInterfaceId!);
      expect(eni?.status === 'InUse' && eni.instanceId === 'i-node-a', `ENI ${eni?.id} is ${eni?.status} on ${eni?.instanceId}, not InUse on i-node-a`);
      expect(eni.tags[TAG_CLUSTER_ID] === sys.clusterId, 'the ENI does not carry the cluster tag');
      return [`$ kubectl apply -f deploy/examples/single-eni.yaml`, applied, '$ kubectl get nic', ...(await getNic(sys))];
    },
  },
  {
    title: "traffic from the ENI's address leaves through the ENI and replies come back through it",
    async run(sys) {
      const claim = await sys.claims.get('web-node-a');
      const ip = claim!.status!.primaryIpAddress!;
      const link = await linkOf(sys, 'node-a', claim!.status!.macAddress!);
      expect(link, `no link with MAC ${claim!.status!.macAddress} on node-a`);
      const viaEni = await shell(sys, 'node-a', ['ip', 'route', 'get', REMOTE_HOST.ip, 'from', ip]);
      expect(viaEni.out.includes(`dev ${link}`), `the kernel routes ${ip} → ${REMOTE_HOST.ip} elsewhere: ${viaEni.out}`);
      const plain = await shell(sys, 'node-a', ['ip', 'route', 'get', REMOTE_HOST.ip]);
      expect(plain.out.includes('dev eth0'), `the node's own traffic no longer leaves by its primary: ${plain.out}`);
      const ping = await shell(sys, 'node-a', ['ping', '-c', '2', '-W', '2', '-I', ip, REMOTE_HOST.ip]);
      expect(ping.ok, `ping from ${ip} failed: ${ping.out}`);
      // Traffic that arrives on the ENI: the remote host pings the ENI's address; the echo replies must
      // leave by the ENI (the primary's way out is a dead end, so a reply sent there would be lost).
      const reply = await sys.network.exec(sys.network.remote, ['ping', '-c', '2', '-W', '2', ip]);
      expect(reply.code === 0, `the remote host got no reply from ${ip}: ${reply.stdout}${reply.stderr}`);
      const { rules, routes } = await agentState(sys, 'node-a');
      return [
        `$ ip route get ${REMOTE_HOST.ip} from ${ip}    # inside node-a`, viaEni.out.split('\n')[0]!,
        `$ ip route get ${REMOTE_HOST.ip}    # the node's own traffic keeps the primary`, plain.out.split('\n')[0]!,
        `$ ping -I ${ip} ${REMOTE_HOST.ip}`, ping.out.split('\n').find((l) => l.includes('packets transmitted')) ?? '',
        `remote host → ${ip}: ${reply.stdout.split('\n').find((l) => l.includes('packets transmitted')) ?? ''}`,
        `agent's rules: ${rules.join('; ')}`, `agent's routes: ${routes.join('; ')}`,
      ];
    },
  },
  {
    title: 'a claim with secondary IPs on node-b (deploy/examples/secondary-ips.yaml) becomes Ready',
    async run(sys) {
      const applied = await apply(sys, 'secondary-ips.yaml');
      const claim = await waitClaim(sys, 'db-node-b', 'Ready', isReady);
      const link = await linkOf(sys, 'node-b', claim!.status!.macAddress!);
      expect(link, 'the ENI is not in node-b');
      const want = [claim!.status!.primaryIpAddress!, ...claim!.status!.secondaryPrivateIpAddresses!].sort();
      expect(want.length === 4, `expected 4 addresses, status has ${want.join(', ')}`);
      await waitFor(`node-b's ${link} carrying ${want.join(', ')}`, async () => JSON.stringify(await addressesOf(sys, 'node-b', link)) === JSON.stringify(want));
      return [applied, `addresses on node-b's ${link}: ${want.join(', ')}`];
    },
  },
  {
    title: 'a secondary IP added in place (secondaryPrivateIpAddressCount 3 → 4): same ENI, one more address',
    async run(sys) {
      const before = await sys.claims.get('db-node-b');
      const patched = await patch(sys, 'db-node-b', { secondaryPrivateIpAddressCount: 4 });
      const claim = await waitClaim(sys, 'db-node-b', 'Ready with 4 secondary IPs', (c) => isReady(c) && c?.status?.secondaryPrivateIpAddresses?.length === 4);
      expect(claim!.status!.networkInterfaceId === before!.status!.networkInterfaceId, 'the ENI was replaced instead of changed in place');
      const link = (await linkOf(sys, 'node-b', claim!.status!.macAddress!))!;
      await waitFor('the fifth address on node-b', async () => (await addressesOf(sys, 'node-b', link)).length === 5);
      return [patched, `addresses on node-b's ${link}: ${(await addressesOf(sys, 'node-b', link)).join(', ')}`];
    },
  },
  {
    title: "a claim beyond node-b's ENI quota (adopting an existing ENI) waits with a clear reason",
    async run(sys) {
      const applied = await apply(sys, 'adopt-existing.yaml');
      const claim = await waitClaim(sys, 'legacy-node-b', 'Attached=False InstanceENIQuotaExceeded',
        (c) => conditionOf(c, 'Attached')?.reason === 'InstanceENIQuotaExceeded');
      expect(sys.sim.sim.getEni(ADOPTED_ENI)?.status === 'Available', `${ADOPTED_ENI} should stay Available while it waits`);
      const attached = conditionOf(claim, 'Attached')!;
      return [applied, `Attached=${attached.status} reason=${attached.reason}: ${attached.message}`];
    },
  },
  {
    title: 'security groups changed in place on web-node-a',
    async run(sys) {
      const patched = await patch(sys, 'web-node-a', { securityGroupIds: ['sg-demo-web', 'sg-demo-db'] });
      const claim = await waitClaim(sys, 'web-node-a', 'status showing both groups',
        (c) => isReady(c) && JSON.stringify(c?.status?.securityGroupIds?.slice().sort()) === JSON.stringify(['sg-demo-db', 'sg-demo-web']));
      const eniId = claim!.status!.networkInterfaceId!;
      await waitFor('ECS applying the groups', () => JSON.stringify(sys.sim.sim.getEni(eniId)?.securityGroupIds.slice().sort()) === JSON.stringify(['sg-demo-db', 'sg-demo-web']));
      return [patched, `ECS: ${eniId} in ${sys.sim.sim.getEni(eniId)!.securityGroupIds.join(', ')}`];
    },
  },
  {
    title: 'db-node-b moved to node-a: the ENI and its addresses go with it, and the waiting claim gets the freed slot',
    async run(sys) {
      const before = await sys.claims.get('db-node-b');
      const mac = before!.status!.macAddress!;
      const patched = await patch(sys, 'db-node-b', { nodeName: 'node-a' });
      const claim = await waitClaim(sys, 'db-node-b', 'Ready on node-a', (c) => isReady(c) && c?.status?.nodeName === 'node-a' && c.status.instanceId === 'i-node-a');
      expect(claim!.status!.networkInterfaceId === before!.status!.networkInterfaceId, 'a new ENI was made instead of moving the old one');
      expect(claim!.status!.primaryIpAddress === before!.status!.primaryIpAddress, 'the address did not move with the ENI');
      expect(await linkOf(sys, 'node-b', mac) === undefined, 'the ENI is still in node-b');
      const ping = await shell(sys, 'node-a', ['ping', '-c', '1', '-W', '2', '-I', claim!.status!.primaryIpAddress!, REMOTE_HOST.ip]);
      expect(ping.ok, `ping from the moved address failed: ${ping.out}`);
      const legacy = await waitClaim(sys, 'legacy-node-b', 'Ready on node-b', isReady);
      expect(legacy!.status!.networkInterfaceId === ADOPTED_ENI, `legacy-node-b holds ${legacy!.status!.networkInterfaceId}, not ${ADOPTED_ENI}`);
      return [patched, `${claim!.status!.primaryIpAddress} now answers from node-a`, '$ kubectl get nic', ...(await getNic(sys))];
    },
  },
  {
    title: 'an instance type that attaches ENIs only while stopped: the claim says so, then attaches once node-c is stopped',
    async run(sys) {
      const manifest = {
        apiVersion: 'ecseni.io/v1alpha1', kind: 'NetworkInterfaceClaim',
        metadata: { name: 'batch-node-c' },
        spec: { nodeName: 'node-c', vSwitchId: 'vsw-demo-a', securityGroupIds: ['sg-demo-web'], routing: { mode: 'None' } },
      };
      const applied = (await sys.kubectl(['apply', '-f', '-'], JSON.stringify(manifest))).trim();
      const waiting = await waitClaim(sys, 'batch-node-c', 'Attached=False InstanceMustBeStopped',
        (c) => conditionOf(c, 'Attached')?.reason === 'InstanceMustBeStopped');
      const reason = conditionOf(waiting, 'Attached')!;
      await sys.sim.sim.setInstanceStatus('i-node-c', 'Stopped');
      await waitClaim(sys, 'batch-node-c', 'Ready once the instance is stopped', isReady);
      await sys.sim.sim.setInstanceStatus('i-node-c', 'Running');
      return [applied, `Attached=${reason.status} reason=${reason.reason}: ${reason.message}`, 'stopped i-node-c in the cloud → attached → started it again'];
    },
  },
  {
    title: 'addresses only (routing.mode Addresses): the ENI is up with its addresses, without policy routing',
    async run(sys) {
      const applied = await apply(sys, 'addresses-only.yaml');
      const claim = await waitClaim(sys, 'addresses-node-a', 'Ready', isReady);
      const ips = [claim!.status!.primaryIpAddress!, ...(claim!.status!.secondaryPrivateIpAddresses ?? [])];
      const link = await linkOf(sys, 'node-a', claim!.status!.macAddress!);
      expect(link, 'the ENI is not in node-a');
      await waitFor('its addresses on node-a', async () => {
        const present = await addressesOf(sys, 'node-a', link);
        return ips.every((ip) => present.includes(ip));
      });
      const { rules } = await agentState(sys, 'node-a');
      expect(!rules.some((r) => ips.some((ip) => r.startsWith(`from ${ip} `))), `source rules exist for an Addresses claim: ${rules.join('; ')}`);
      return [applied, `${link} carries ${ips.join(', ')}; no source rules for them`];
    },
  },
  {
    title: 'Retain: web-node-a deleted (its ENI deleted), stable-address-node-a applied and deleted (its ENI kept)',
    async run(sys) {
      const web = await sys.claims.get('web-node-a');
      await sys.kubectl(['delete', 'nic', 'web-node-a', '--timeout=90s']);
      await waitFor(`ENI ${web!.status!.networkInterfaceId} deleted`, () => sys.sim.sim.getEni(web!.status!.networkInterfaceId!) === undefined);
      const applied = await apply(sys, 'retain.yaml');
      const kept = await waitClaim(sys, 'stable-address-node-a', 'Ready', isReady);
      expect(kept!.status!.primaryIpAddress === '192.168.10.60', `asked for 192.168.10.60, got ${kept!.status!.primaryIpAddress}`);
      await sys.kubectl(['delete', 'nic', 'stable-address-node-a', '--timeout=90s']);
      const eni = sys.sim.sim.getEni(kept!.status!.networkInterfaceId!);
      expect(eni?.status === 'Available', `the retained ENI is ${eni?.status ?? 'gone'}, not Available`);
      expect(eni.tags[TAG_CLUSTER_ID] === undefined, 'the retained ENI still carries the cluster tag (the leak collector would take it)');
      return [applied, `kept ${eni.id} (192.168.10.60), Available, no longer tagged for this cluster`];
    },
  },
  {
    title: 'every claim deleted: nothing left in the kernels, nothing of ours left in ECS',
    async run(sys) {
      await sys.kubectl(['delete', 'nic', '--all', '--wait=false']);
      // node-c's type detaches only while stopped, too: its claim says so until the instance is stopped.
      const stuck = await waitClaim(sys, 'batch-node-c', 'a reason to wait for a stopped instance',
        (c) => c === undefined || Object.values(c.status?.conditions ?? []).some((x) => x.reason === 'InstanceMustBeStopped'));
      const reason = stuck?.status?.conditions?.find((c) => c.reason === 'InstanceMustBeStopped');
      await sys.sim.sim.setInstanceStatus('i-node-c', 'Stopped');
      await waitFor('no claims', async () => (await sys.claims.list({})).items.length === 0);
      await sys.sim.sim.setInstanceStatus('i-node-c', 'Running');
      const leftovers: string[] = [];
      for (const node of DEMO_NODES) {
        const { rules, routes } = await agentState(sys, node.name);
        if (rules.length + routes.length > 0) leftovers.push(`${node.name}: ${[...rules, ...routes].join('; ')}`);
      }
      expect(leftovers.length === 0, `the agent left state behind: ${leftovers.join(' | ')}`);
      await waitFor('ECS to settle', () => secondaryEnis(sys).every((e) => e.status === 'Available'));
      const ours = secondaryEnis(sys).filter((e) => e.tags[TAG_CLUSTER_ID] === sys.clusterId);
      expect(ours.length === 0, `ENIs of this cluster left in ECS: ${ours.map((e) => e.id).join(', ')}`);
      const left = secondaryEnis(sys).map((e) => `${e.id} (${e.status})`);
      expect(sys.sim.sim.getEni(ADOPTED_ENI)?.status === 'Available', `${ADOPTED_ENI} should be kept (adopted ENIs default to Retain)`);
      return [
        '$ kubectl delete nic --all',
        `batch-node-c waited: ${reason ? `${reason.type}=${reason.status} ${reason.reason}` : 'no'} → stopped i-node-c → released → started it again`,
        '$ kubectl get nic', ...(await getNic(sys)),
        `ECS keeps only what is not ours to delete: ${left.join(', ')}`,
      ];
    },
  },
];
