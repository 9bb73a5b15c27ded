// `ecs-eni-controller controller`: flags → logger, metrics, the ECS adapter, the HTTP endpoints,
// optionally a Lease, then the ClaimController until SIGTERM/SIGINT (stop taking work, drain the
// reconciles in flight, hand the Lease back, exit 0) or until leadership is lost (exit 1, as
// client-go's controllers do: a fresh process campaigns again).
import type { Logger } from 'pino';
import { AlibabaCloudEcs } from '../cloud/alicloud.ts';
import type { EcsPort } from '../cloud/port.ts';
import { startHttpServer, type RunningHttpServer } from '../health.ts';
import { loadKubeConfig } from '../kube/config.ts';
import { kubeLeaseStore, LeaderElector, leaderIdentity } from '../kube/leader.ts';
import { createLogger } from '../logging.ts';
import { createMetrics, type ControllerProcessMetrics } from '../metrics.ts';
import { ClaimController } from './controller.ts';
import { FlagError } from '../errors.ts';
import { parseFlags, USAGE, wantsHelp, type ControllerFlags } from './flags.ts';

/** Looked up to prove that the credentials work (ECS answers an unknown id with an empty list). */
const PROBE_INSTANCE_ID = 'i-ecseni-readiness-probe';
const PROBE_RETRY_MS = 10_000;

type Ending = 'signal' | 'lost-leadership' | 'failed';

export async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(USAGE);
    return 0;
  }
  let flags: ControllerFlags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}`);
    return 2;
  }
  const logger = createLogger({ level: flags.logLevel, name: 'controller' });
  try {
    return await run(flags, logger);
  } catch (err) {
    logger.fatal({ err }, 'controller failed');
    return 1;
  }
}

async function run(flags: ControllerFlags, logger: Logger): Promise<number> {
  const metrics = createMetrics('controller');
  const kubeConfig = loadKubeConfig(flags.kubeconfig);
  const port = new AlibabaCloudEcs({
    regionId: flags.region,
    protocol: flags.protocol,
    rateLimitsPerMinute: flags.rateLimits,
    metrics: metrics.forEcsCalls(),
    ...(flags.ecsEndpoint ? { ecsEndpoint: flags.ecsEndpoint } : {}),
    ...(flags.vpcEndpoint ? { vpcEndpoint: flags.vpcEndpoint } : {}),
  });
  const state = { cloudOk: false, controller: undefined as ClaimController | undefined, stopping: false };
  let end!: (why: Ending) => void;
  const ended = new Promise<Ending>((resolve) => (end = resolve));
  const onSignal = (signal: string): void => {
    logger.info({ signal }, 'stopping: no new work, draining reconciles in flight');
    end('signal');
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  const http = await serveHttp(flags, metrics, logger, () => state.cloudOk && (state.controller?.ready() ?? flags.leaderElect));
  const stopProbe = probeCloud(port, logger, () => (state.cloudOk = true));
  const startController = async (): Promise<void> => {
    state.controller = new ClaimController({
      kubeConfig,
      port,
      clusterId: flags.clusterId,
      regionId: flags.region,
      logger,
      metrics,
      workers: flags.workers,
      rateLimitsPerMinute: flags.rateLimits,
      nodeGraceMs: flags.nodeGraceMs,
      agentTimeoutMs: flags.agentTimeoutMs,
      gcIntervalMs: flags.gcIntervalMs,
      gcGraceMs: flags.gcGraceMs,
      watchIntervalMs: flags.watchIntervalMs,
      slowRetry: { baseMs: flags.failureRetryMs, maxMs: flags.failureRetryMaxMs },
      cacheSyncTimeoutMs: flags.cacheSyncTimeoutMs,
      reportingInstance: process.env.POD_NAME ?? 'ecs-eni-controller',
    });
    await state.controller.start();
  };

  let elector: LeaderElector | undefined;
  if (flags.leaderElect) {
    elector = new LeaderElector({
      store: kubeLeaseStore(kubeConfig, flags.leaderElectionNamespace, flags.leaderElectionId),
      identity: leaderIdentity(),
      name: flags.leaderElectionId,
      logger,
      onStartedLeading: () => startController().catch((err: unknown) => (logger.error({ err }, 'starting the controller failed'), end('failed'))),
      onStoppedLeading: () => {
        if (!state.stopping) end('lost-leadership');
      },
      setLeaderGauge: (v) => metrics.leaderElectionMasterStatus.set({ name: flags.leaderElectionId }, v),
    });
    void elector.run();
  } else {
    await startController();
  }

  const why = await ended;
  state.stopping = true;
  stopProbe();
  await state.controller?.stop({ drain: why === 'signal' });
  await elector?.release();
  await http?.close();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  logger.info({ why }, 'controller stopped');
  return why === 'signal' ? 0 : 1;
}

async function serveHttp(
  flags: ControllerFlags,
  metrics: ControllerProcessMetrics,
  logger: Logger,
  ready: () => boolean,
): Promise<RunningHttpServer | undefined> {
  if (flags.metricsBindAddress === '0') return undefined;
  return startHttpServer({ address: flags.metricsBindAddress, registry: metrics.registry, readiness: ready, logger });
}

/** One cheap ECS call until it works: /readyz stays 503 while the credentials or the endpoint are wrong. */
function probeCloud(port: EcsPort, logger: Logger, ok: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = (): void => {
    port.describeInstance(PROBE_INSTANCE_ID).then(ok, (err: unknown) => {
      logger.warn({ err }, 'ECS is not answering; /readyz stays unready');
      if (!stopped) timer = setTimeout(attempt, PROBE_RETRY_MS);
    });
  };
  attempt();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
