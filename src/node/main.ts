// `ecs-eni-controller node-agent`: flags → logger, metrics, the HTTP endpoints, the kernel
// datapath (of --netns or the agent's own namespace), then the NodeAgent until SIGTERM/SIGINT.
// Stopping leaves the kernel as it is: the ENIs keep working while the agent restarts.
import type { Logger } from 'pino';
import { startHttpServer } from '../health.ts';
import { realClock } from '../kube/clock.ts';
import { KubeRest } from '../kube/rest.ts';
import { loadRestConfig } from '../kube/rest-config.ts';
import { createLogger } from '../logging.ts';
import { createMetrics } from '../metrics.ts';
import { NodeAgent } from './agent.ts';
import { KernelDatapath } from './datapath.ts';
import { FlagError } from '../errors.ts';
import { parseAgentFlags, USAGE, wantsHelp, type AgentFlags } from './flags.ts';
import { DEFAULT_HOTPLUG } from './hotplug.ts';
import { IdleCollector } from './idle-gc.ts';
import { IpRoute } from './iproute.ts';
import { MONITORED_OBJECTS } from './monitor.ts';
import { Sysctls } from './sysctl.ts';

/**
 * The claims watch and three writers. Without a limit an 8-ENI burst left 9 connections open per
 * node (a finalizer patch and a status apply per claim at once): on a large cluster that is the
 * API server's load, as kubelet holds one (HTTP/2). The writes of a burst wait a few ms instead
 * (8-ENI p50 unchanged in an A/B bench run: 98.6 vs 95.9 ms).
 */
const API_CONNECTIONS = 4;

export async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(USAGE);
    return 0;
  }
  let flags: AgentFlags;
  try {
    flags = parseAgentFlags(argv);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}`);
    return 2;
  }
  const logger = createLogger({ level: flags.logLevel, name: 'node-agent' });
  try {
    return await run(flags, logger);
  } catch (err) {
    logger.fatal({ err }, 'node agent failed');
    return 1;
  }
}

function waitForStopSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      logger.info({ signal }, 'stopping; the kernel keeps its configuration');
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function run(flags: AgentFlags, logger: Logger): Promise<number> {
  const metrics = createMetrics('node-agent');
  const kube = new KubeRest(loadRestConfig(flags.kubeconfig), { maxConnections: API_CONNECTIONS });
  const netns = flags.netns ? { netns: flags.netns } : {};
  const ip = new IpRoute(netns);
  const sysctls = new Sysctls(flags.procSysNet ? { procSysNet: flags.procSysNet } : netns);
  await sysctls.check();
  const idleCollector = new IdleCollector({
    clock: realClock,
    onCollect: (collection) => logger.debug(collection, 'gave back the heap grown for a burst of work'),
  });
  if (!idleCollector.enabled()) logger.info('node runs without --expose-gc: the heap grown for a burst of work is kept until V8 collects it');
  const agent = new NodeAgent({
    kube,
    nodeName: flags.nodeName,
    datapath: new KernelDatapath(ip, sysctls),
    monitorCommand: ip.monitorCommand(MONITORED_OBJECTS),
    logger: logger.child({ node: flags.nodeName, ...netns }),
    metrics,
    resyncMs: flags.resyncMs,
    hotplug: { ...DEFAULT_HOTPLUG, graceMs: flags.interfaceWaitMs },
    cacheSyncTimeoutMs: flags.cacheSyncTimeoutMs,
    idleCollector,
  });
  const stopped = waitForStopSignal(logger);
  const http =
    flags.metricsBindAddress === '0'
      ? undefined
      : await startHttpServer({ address: flags.metricsBindAddress, registry: metrics.registry, readiness: () => agent.ready(), logger });
  try {
    await agent.start();
    logger.info('node agent started');
    await stopped;
    return 0;
  } finally {
    await agent.stop();
    kube.close();
    await http?.close();
  }
}
