// `npm run demo`: the whole system on this machine, then the story of deploy/examples/ told step
// by step with a check for each. Exit code 0 only if every check held. --keep leaves it running.
import { SCENARIO } from './scenario.ts';
import { DEMO_NODES, DEMO_VSWITCH, demoWorld } from './world.ts';
import { startSystem, type System } from '../test/support/system.ts';

const USAGE = 'usage: npm run demo [-- --keep]\n  --keep  leave everything running at the end (Ctrl-C stops it)\n';

function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1).padStart(6)} s`;
}

async function untilSignal(): Promise<void> {
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

export async function main(argv: string[]): Promise<number> {
  if (argv.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknown = argv.filter((a) => a !== '--keep');
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument ${unknown[0]}\n${USAGE}`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('the demo needs root: it creates network namespaces and veth links (run it with sudo)\n');
    return 1;
  }
  const keep = argv.includes('--keep');
  const started = Date.now();
  const say = (line: string): void => void process.stdout.write(`${line}\n`);

  say(`[${elapsed(started)}] starting etcd + kube-apiserver, the ECS simulator, the controller, and node agents for ${DEMO_NODES.map((n) => n.name).join(', ')}`);
  let sys: System | undefined = undefined;
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    say('interrupted: tearing everything down');
    void sys?.stop().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  sys = await startSystem({
    world: demoWorld(),
    nodes: DEMO_NODES,
    vSwitchId: DEMO_VSWITCH,
    clusterId: 'demo',
    controllerArgs: ['--failure-retry=2s', '--failure-retry-max=10s'],
  });
  say(`[${elapsed(started)}] up: kubeconfig ${sys.cp.kubeconfigPath}, ECS endpoint http://${sys.sim.endpoint}, logs in ${sys.logDir}`);

  const results: { title: string; ok: boolean; seconds: number; error?: string }[] = [];
  for (const [index, step] of SCENARIO.entries()) {
    if (interrupted) break;
    const stepStart = Date.now();
    say(`\n[${elapsed(started)}] ${index + 1}/${SCENARIO.length} ${step.title}`);
    try {
      const lines = await step.run(sys);
      for (const line of lines) say(`      ${line}`);
      results.push({ title: step.title, ok: true, seconds: (Date.now() - stepStart) / 1000 });
      say(`      ✔ held (${((Date.now() - stepStart) / 1000).toFixed(1)} s)`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.push({ title: step.title, ok: false, seconds: (Date.now() - stepStart) / 1000, error: message });
      say(`      ✘ ${message}`);
      break; // later steps build on this one
    }
  }

  const passed = results.filter((r) => r.ok).length;
  say(`\nsummary: ${passed} of ${SCENARIO.length} steps held in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const r of results) say(`  ${r.ok ? '✔' : '✘'} ${r.title}${r.error ? ` — ${r.error}` : ''}`);
  const plumbing = sys.plumbingErrors();
  if (plumbing.length > 0) say(`virtual NIC errors: ${plumbing.join('; ')}`);
  const ok = passed === SCENARIO.length && plumbing.length === 0;

  if (keep && !interrupted) {
    say(`\nleft running. Try:\n  export KUBECONFIG=${sys.cp.kubeconfigPath}\n  kubectl get nic\n  sudo ip netns list\nCtrl-C stops everything.`);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await untilSignal();
  }
  await sys.stop();
  return ok ? 0 : 1;
}
