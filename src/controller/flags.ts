// `ecs-eni-controller controller` flags: parsed and checked in one place, so that main() only
// assembles. A bad flag is a usage error (exit 2) with a message that names it.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { parseRateLimits, type EcsAction } from '../cloud/rate-limits.ts';
import { FlagError } from '../errors.ts';
import { parseDuration, parsePositiveInteger } from '../flags.ts';

export { wantsHelp } from '../flags.ts';

export interface ControllerFlags {
  kubeconfig?: string;
  region: string;
  ecsEndpoint?: string;
  vpcEndpoint?: string;
  protocol: 'http' | 'https';
  clusterId: string;
  workers: number;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  metricsBindAddress: string;
  logLevel: string;
  rateLimits: Partial<Record<EcsAction, number>>;
  nodeGraceMs: number;
  agentTimeoutMs: number;
  gcIntervalMs: number;
  gcGraceMs: number;
  watchIntervalMs: number;
  failureRetryMs: number;
  failureRetryMaxMs: number;
  cacheSyncTimeoutMs: number;
}

export const USAGE = `usage: ecs-eni-controller controller --cluster-id ID [flags]

  --kubeconfig PATH                 client configuration (default: KUBECONFIG, in-cluster, ~/.kube/config)
  --region ID                       ECS region (default: ALIBABA_CLOUD_REGION_ID)
  --ecs-endpoint HOST[:PORT]        ECS API endpoint (default: the region's)
  --vpc-endpoint HOST[:PORT]        VPC API endpoint (default: the region's)
  --protocol https|http             default https (the simulator speaks http)
  --cluster-id ID                   tags every ENI; only ENIs with it are ever deleted (required)
  --workers N                       claims reconciled at once (default 4)
  --leader-elect                    hold a Lease before reconciling (for more than one replica)
  --leader-election-namespace NS    default: POD_NAMESPACE, else kube-system
  --leader-election-id NAME         the Lease's name (default ecs-eni-controller)
  --metrics-bind-address ADDR       /metrics, /healthz, /readyz (default :8080; 0 turns it off)
  --log-level LEVEL                 fatal, error, warn, info, debug, trace (default info)
  --rate-limit ACTION=PER_MINUTE    ECS calls a minute for one action; repeatable (defaults: Terway's)
  --node-grace DURATION             release without the node agent after its node is NotReady this long (default 2m)
  --agent-timeout DURATION          release without the node agent after waiting this long (default 10m)
  --gc-interval DURATION            leak collection interval, 0 to disable (default 10m)
  --gc-grace DURATION               never collect an ENI younger than this (default 10m)
  --watch-interval DURATION         poll interval of ENIs attaching or detaching (default 250ms)
  --failure-retry DURATION          first slow retry after a failure a person must fix (default 30s)
  --failure-retry-max DURATION      ceiling of that retry (default 10m)
  --cache-sync-timeout DURATION     give up when the caches do not sync (default 2m)
  -h, --help                        print this and exit
Credentials: @alicloud/credentials' default chain (ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, RRSA, RAM role).
`;

const OPTIONS = {
  kubeconfig: { type: 'string' },
  region: { type: 'string' },
  'ecs-endpoint': { type: 'string' },
  'vpc-endpoint': { type: 'string' },
  protocol: { type: 'string', default: 'https' },
  'cluster-id': { type: 'string' },
  workers: { type: 'string', default: '4' },
  'leader-elect': { type: 'boolean', default: false },
  'leader-election-namespace': { type: 'string' },
  'leader-election-id': { type: 'string', default: 'ecs-eni-controller' },
  'metrics-bind-address': { type: 'string', default: ':8080' },
  'log-level': { type: 'string', default: 'info' },
  'rate-limit': { type: 'string', multiple: true, default: [] as string[] },
  'node-grace': { type: 'string', default: '2m' },
  'agent-timeout': { type: 'string', default: '10m' },
  'gc-interval': { type: 'string', default: '10m' },
  'gc-grace': { type: 'string', default: '10m' },
  'watch-interval': { type: 'string', default: '250ms' },
  'failure-retry': { type: 'string', default: '30s' },
  'failure-retry-max': { type: 'string', default: '10m' },
  'cache-sync-timeout': { type: 'string', default: '2m' },
} as const satisfies ParseArgsOptionsConfig;

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): ControllerFlags {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
  const region = values.region ?? env.ALIBABA_CLOUD_REGION_ID;
  if (!region) throw new FlagError('--region is required (or ALIBABA_CLOUD_REGION_ID)');
  if (!values['cluster-id']) throw new FlagError('--cluster-id is required: it tags every ENI the controller creates');
  if (values.protocol !== 'http' && values.protocol !== 'https') throw new FlagError(`--protocol: want http or https, got ${values.protocol}`);
  let rateLimits: Partial<Record<EcsAction, number>>;
  try {
    rateLimits = parseRateLimits(values['rate-limit'].join(','));
  } catch (err) {
    throw new FlagError(`--rate-limit: ${(err as Error).message}`);
  }
  const duration = (flag: keyof typeof OPTIONS): number => parseDuration(values[flag] as string, flag);
  return {
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    region,
    ...(values['ecs-endpoint'] ? { ecsEndpoint: values['ecs-endpoint'] } : {}),
    ...(values['vpc-endpoint'] ? { vpcEndpoint: values['vpc-endpoint'] } : {}),
    protocol: values.protocol,
    clusterId: values['cluster-id'],
    workers: parsePositiveInteger(values.workers, 'workers'),
    leaderElect: values['leader-elect'],
    leaderElectionNamespace: values['leader-election-namespace'] ?? env.POD_NAMESPACE ?? 'kube-system',
    leaderElectionId: values['leader-election-id'],
    metricsBindAddress: values['metrics-bind-address'],
    logLevel: values['log-level'],
    rateLimits,
    nodeGraceMs: duration('node-grace'),
    agentTimeoutMs: duration('agent-timeout'),
    gcIntervalMs: duration('gc-interval'),
    gcGraceMs: duration('gc-grace'),
    watchIntervalMs: duration('watch-interval'),
    failureRetryMs: duration('failure-retry'),
    failureRetryMaxMs: duration('failure-retry-max'),
    cacheSyncTimeoutMs: duration('cache-sync-timeout'),
  };
}
