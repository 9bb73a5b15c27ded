// Event-driven drift detection: a long-lived `ip monitor` child prints a line for every change of
// links, addresses, routes, rules and per-interface settings (netconf: rp_filter). Lines are not
// parsed: any burst of them, after a short window, asks for one full reconcile of the node, which
// is cheap and cannot misread an event. If the child dies it is started again (a reconcile is asked
// for too, since events may have been missed meanwhile).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Cancel, Clock } from '../kube/clock.ts';

/** What `ip monitor` watches: everything the agent writes or reads to decide. */
export const MONITORED_OBJECTS = ['link', 'address', 'route', 'rule', 'netconf'] as const;

export interface KernelMonitorOptions {
  /** The command line (IpRoute.monitorCommand()). */
  command: readonly string[];
  clock: Clock;
  /** Called once per window of events. */
  onChange: () => void;
  /** Events within this window after the first one are folded into one call. */
  windowMs?: number;
  /** Wait before starting the child again after it died; doubles up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** Told when the child dies unexpectedly. */
  onExit?: (detail: string) => void;
}

export class KernelMonitor {
  private readonly options: Required<Omit<KernelMonitorOptions, 'onExit'>> & Pick<KernelMonitorOptions, 'onExit'>;
  private child: ChildProcess | undefined;
  private pending: Cancel | undefined;
  private restart: Cancel | undefined;
  private restartDelay: number;
  private stopped = true;

  constructor(options: KernelMonitorOptions) {
    this.options = { windowMs: 75, restartDelayMs: 500, maxRestartDelayMs: 30_000, ...options };
    this.restartDelay = this.options.restartDelayMs;
  }

  start(): void {
    this.stopped = false;
    this.spawnChild();
  }

  stop(): void {
    this.stopped = true;
    this.pending?.();
    this.restart?.();
    this.pending = undefined;
    this.child?.kill('SIGTERM');
    this.child?.stdout?.destroy();
    this.child?.stderr?.destroy();
    this.child = undefined;
  }

  /** The pid of the running `ip monitor`, if any (tests kill it to check the restart). */
  pid(): number | undefined {
    return this.child?.pid;
  }

  private spawnChild(): void {
    const [command = 'ip', ...args] = this.options.command;
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stdout.on('data', () => {
      this.restartDelay = this.options.restartDelayMs;
      this.signal();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-500)));
    child.on('error', (error) => (stderr += error.message));
    // 'exit', not 'close': a grandchild holding the pipes must not hide the death of the monitor.
    child.on('exit', (code, signal) => this.onExit(child, `exit ${code ?? signal}: ${stderr.trim()}`));
  }

  private onExit(child: ChildProcess, detail: string): void {
    if (this.stopped || child !== this.child) return;
    this.child = undefined;
    child.stdout?.destroy();
    child.stderr?.destroy();
    this.options.onExit?.(detail);
    this.restart = this.options.clock.after(this.restartDelay, () => {
      this.restart = undefined;
      if (this.stopped) return;
      this.spawnChild();
      this.signal();
    });
    this.restartDelay = Math.min(this.restartDelay * 2, this.options.maxRestartDelayMs);
  }

  private signal(): void {
    if (this.pending) return;
    this.pending = this.options.clock.after(this.options.windowMs, () => {
      this.pending = undefined;
      if (!this.stopped) this.options.onChange();
    });
  }
}
