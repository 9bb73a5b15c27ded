// The whole system on one machine, for the demo and the end-to-end tests: a real control plane,
// the ECS simulator, the controller and one node agent per node as real processes, and each node
// a network namespace whose ENIs appear (as veth links with the ENI's MAC) when the simulator
// reports an attach and vanish on detach.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './controlplane.ts';
import { applyCrds } from './crds.ts';
import { createClusterNetwork, type ClusterNetwork } from './netns-cluster.ts';
import { spawnGroup, type GroupProcess } from './process-group.ts';
import { startSimulator, type RunningSimulator, type WorldSpec } from '../../src/sim/index.ts';
import type { AttachmentEvent } from '../../src/sim/index.ts';
import { ClaimClient } from '../../src/kube/claims.ts';
import { gatewayOf } from '../../src/cloud/cidr.ts';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
const execFileAsync = promisify(execFile);

export interface SystemNode {
  name: string;
  instanceId: string;
}

export interface SystemOptions {
  world: WorldSpec;
  /** Kubernetes nodes, each backed by one of the world's instances. */
  nodes: SystemNode[];
  /** The vSwitch whose CIDR and gateway the ENI network gets. */
  vSwitchId: string;
  clusterId?: string;
  /** Extra controller flags (e.g. short retry intervals for tests). */
  controllerArgs?: string[];
  /** Default true; false: the test starts the controller and the agents itself (e.g. with their own credentials). */
  startProcesses?: boolean;
  log?: (line: string) => void;
}

/** How one controller or agent process differs from the default (admin credentials, default flags). */
export interface ProcessOptions {
  /** A kubeconfig file instead of the admin's, e.g. a ServiceAccount's. */
  kubeconfigPath?: string;
  /** Flags after the default ones. */
  args?: string[];
  /** Environment added to the default one (e.g. POD_NAME, POD_NAMESPACE). */
  env?: NodeJS.ProcessEnv;
}

export interface System {
  readonly cp: ControlPlane;
  readonly sim: RunningSimulator;
  readonly network: ClusterNetwork;
  readonly claims: ClaimClient;
  readonly clusterId: string;
  readonly logDir: string;
  kubectl(args: string[], input?: string): Promise<string>;
  startController(options?: ProcessOptions): Promise<void>;
  stopController(signal?: NodeJS.Signals): Promise<void>;
  startAgent(node: string, options?: ProcessOptions): Promise<void>;
  stopAgent(node: string, signal?: NodeJS.Signals): Promise<void>;
  /** Plug/unplug errors seen by the attach listener (a test asserts there are none). */
  plumbingErrors(): string[];
  stop(): Promise<void>;
}

export async function startSystem(options: SystemOptions): Promise<System> {
  const log = options.log ?? (() => {});
  const clusterId = options.clusterId ?? 'e2e';
  const logDir = mkdtempSync(join(tmpdir(), 'ecseni-system-'));
  const vSwitch = options.world.vSwitches.find((v) => v.id === options.vSwitchId);
  if (!vSwitch) throw new Error(`vSwitch ${options.vSwitchId} is not in the world`);
  const nodeOfInstance = new Map(options.nodes.map((n) => [n.instanceId, n.name]));

  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => log(`cleanup: ${String(err)}`));
    cleanups.length = 0;
  };

  try {
    const cp = await startControlPlane({ log });
    cleanups.push(() => cp.stop());
    await applyCrds(cp.kubeConfig);
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    for (const node of options.nodes) {
      await core.createNode({ body: {
        metadata: { name: node.name, labels: { 'kubernetes.io/hostname': node.name } },
        spec: { providerID: `${options.world.regionId}.${node.instanceId}` },
      } });
    }

    const sim = await startSimulator({ world: options.world });
    cleanups.push(() => sim.close());

    const network = await createClusterNetwork({
      nodes: options.nodes.map((n) => n.name),
      eniSubnet: { cidr: vSwitch.cidrBlock, gateway: gatewayOf(vSwitch.cidrBlock) },
    });
    cleanups.push(() => network.destroy());

    // The simulator's attach/detach events play the hypervisor: the NIC appears in, or leaves, the node.
    const plumbingErrors: string[] = [];
    let plumbing = Promise.resolve();
    const unsubscribe = sim.sim.subscribe((event: AttachmentEvent) => {
      const node = nodeOfInstance.get(event.instanceId);
      plumbing = plumbing.then(async () => {
        if (event.kind === 'attach' && node) await network.plugEni(node, event.macAddress);
        if (event.kind === 'detach') await network.unplugEni(event.macAddress);
      }).catch((err: unknown) => {
        plumbingErrors.push(`${event.kind} ${event.eniId}: ${String(err)}`);
      });
    });
    cleanups.push(async () => {
      unsubscribe();
      await plumbing;
    });

    let controller: GroupProcess | undefined;
    const agents = new Map<string, GroupProcess>();
    cleanups.push(async () => {
      await controller?.stop();
      for (const agent of agents.values()) await agent.stop();
    });

    const kubectl = async (args: string[], input?: string): Promise<string> => {
      const kubectlBin = cp.binaries.kubectl ?? 'kubectl';
      if (input === undefined) {
        const { stdout } = await execFileAsync(kubectlBin, ['--kubeconfig', cp.kubeconfigPath, ...args]);
        return stdout;
      }
      return new Promise((resolve, reject) => {
        const child = execFile(kubectlBin, ['--kubeconfig', cp.kubeconfigPath, ...args], (err, stdout, stderr) =>
          err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout));
        child.stdin?.end(input);
      });
    };

    const system: System = {
      cp,
      sim,
      network,
      claims: new ClaimClient(cp.kubeConfig),
      clusterId,
      logDir,
      kubectl,
      async startController(processOptions: ProcessOptions = {}): Promise<void> {
        controller = spawnGroup('controller', process.execPath, [
          CLI, 'controller',
          `--kubeconfig=${processOptions.kubeconfigPath ?? cp.kubeconfigPath}`,
          `--region=${options.world.regionId}`,
          `--cluster-id=${clusterId}`,
          `--ecs-endpoint=${sim.endpoint}`,
          `--vpc-endpoint=${sim.endpoint}`,
          '--protocol=http',
          '--metrics-bind-address=127.0.0.1:0',
          '--log-level=debug',
          ...(options.controllerArgs ?? []),
          ...(processOptions.args ?? []),
        ], {
          logFile: join(logDir, 'controller.log'),
          env: {
            ...process.env,
            ALIBABA_CLOUD_ACCESS_KEY_ID: sim.accessKey.id,
            ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.accessKey.secret,
            ...processOptions.env,
          },
        });
      },
      async stopController(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
        await controller?.stop(signal);
        controller = undefined;
      },
      async startAgent(node: string, processOptions: ProcessOptions = {}): Promise<void> {
        agents.set(node, spawnGroup(`agent-${node}`, process.execPath, [
          CLI, 'node-agent',
          `--node-name=${node}`,
          `--netns=${network.namespaceOf(node)}`,
          `--kubeconfig=${processOptions.kubeconfigPath ?? cp.kubeconfigPath}`,
          '--metrics-bind-address=127.0.0.1:0',
          '--log-level=debug',
          ...(processOptions.args ?? []),
        ], { logFile: join(logDir, `agent-${node}.log`), env: { ...process.env, ...processOptions.env } }));
      },
      async stopAgent(node: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
        await agents.get(node)?.stop(signal);
        agents.delete(node);
      },
      plumbingErrors: () => [...plumbingErrors],
      stop: async () => {
        await stopAll();
        if (!process.env.ECSENI_KEEP_LOGS) rmSync(logDir, { recursive: true, force: true });
      },
    };
    if (options.startProcesses ?? true) {
      await system.startController();
      for (const node of options.nodes) await system.startAgent(node.name);
    }
    return system;
  } catch (error) {
    await stopAll();
    throw error;
  }
}
