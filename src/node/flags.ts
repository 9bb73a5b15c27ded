// `ecs-eni-controller node-agent` flags, parsed and checked in one place. A bad flag is a usage
// error (exit 2). Durations, help and the error class are shared with the controller (src/flags.ts).
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { FlagError } from '../errors.ts';
import { parseDuration } from '../flags.ts';

export { wantsHelp } from '../flags.ts';

export interface AgentFlags {
  nodeName: string;
  netns?: string;
  /** Where the agent's own namespace's /proc/sys/net is mounted; unset: /proc/sys/net (and always with netns). */
  procSysNet?: string;
  kubeconfig?: string;
  metricsBindAddress: string;
  logLevel: string;
  resyncMs: number;
  interfaceWaitMs: number;
  cacheSyncTimeoutMs: number;
}

export const USAGE = `usage: ecs-eni-controller node-agent --node-name NAME [flags]

  --node-name NAME               this node (default: NODE_NAME); only claims labelled ecseni.io/node=NAME are watched
  --netns NAME                   act on the network namespace NAME (as ip -n NAME) instead of the agent's own
  --proc-sys-net PATH            read and write net.ipv4.conf.<eni>.* under PATH (default /proc/sys/net): the
                                 host's /proc/sys/net mounted into the pod, whose own /proc/sys is read-only;
                                 not with --netns (another namespace's sysctls are set through ip netns exec)
  --kubeconfig PATH              client configuration (default: KUBECONFIG, in-cluster, ~/.kube/config)
  --metrics-bind-address ADDR    /metrics, /healthz, /readyz (default :9090; 0 turns it off)
  --log-level LEVEL              fatal, error, warn, info, debug, trace (default info)
  --resync DURATION              full reconcile at least this often, besides ip monitor events (default 60s)
  --interface-wait DURATION      wait this long for a hot-plugged interface before InterfaceNotFound (default 10s)
  --cache-sync-timeout DURATION  give up when the claim cache does not sync (default 2m)
  -h, --help                     print this and exit
Needs CAP_NET_ADMIN (and CAP_SYS_ADMIN for --netns) and iproute2's ip.
`;

const OPTIONS = {
  'node-name': { type: 'string' },
  netns: { type: 'string' },
  'proc-sys-net': { type: 'string' },
  kubeconfig: { type: 'string' },
  'metrics-bind-address': { type: 'string', default: ':9090' },
  'log-level': { type: 'string', default: 'info' },
  resync: { type: 'string', default: '60s' },
  'interface-wait': { type: 'string', default: '10s' },
  'cache-sync-timeout': { type: 'string', default: '2m' },
} as const satisfies ParseArgsOptionsConfig;

export function parseAgentFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): AgentFlags {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
  const nodeName = values['node-name'] ?? env.NODE_NAME;
  if (!nodeName) throw new FlagError('--node-name is required (or NODE_NAME, e.g. from the downward API spec.nodeName)');
  const resyncMs = parseDuration(values.resync, 'resync');
  if (resyncMs <= 0) throw new FlagError('--resync: must be more than 0');
  const procSysNet = values['proc-sys-net'];
  if (procSysNet !== undefined && values.netns) {
    throw new FlagError('--proc-sys-net and --netns exclude each other: the sysctls of another namespace are set through ip netns exec');
  }
  if (procSysNet !== undefined && !procSysNet.startsWith('/')) throw new FlagError(`--proc-sys-net: ${JSON.stringify(procSysNet)} is not an absolute path`);
  return {
    nodeName,
    ...(values.netns ? { netns: values.netns } : {}),
    ...(procSysNet !== undefined ? { procSysNet } : {}),
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    metricsBindAddress: values['metrics-bind-address'],
    logLevel: values['log-level'],
    resyncMs,
    interfaceWaitMs: parseDuration(values['interface-wait'], 'interface-wait'),
    cacheSyncTimeoutMs: parseDuration(values['cache-sync-timeout'], 'cache-sync-timeout'),
  };
}
