// Long-lived helper processes (etcd, kube-apiserver, agents) that never outlive the test run.
// Each child leads its own process group, so stopping it stops all it started; a small reaper,
// in a group of its own, kills that group if this Node process dies without cleaning up (a
// killed test runner, SIGKILL, a crash): process groups, never process names.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { once } from 'node:events';

export interface GroupProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has gone. */
  readonly exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  logTail(lines?: number): string;
}

const REAPER = `
while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 0.5; done
kill -0 "$2" 2>/dev/null && kill -KILL -- "-$2" 2>/dev/null
exit 0`;

function startReaper(parentPid: number, groupId: number): void {
  const reaper = spawn('bash', ['-c', REAPER, 'reaper', String(parentPid), String(groupId)], {
    detached: true,
    stdio: 'ignore',
  });
  reaper.unref();
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function spawnGroup(
  name: string,
  command: string,
  args: string[],
  options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): GroupProcess {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: failed to start ${command}`);
  const pid = child.pid;
  child.unref();
  startReaper(process.pid, pid);
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);

  return {
    name,
    pid,
    logFile: options.logFile,
    child,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) {
        killGroup(pid, 'SIGKILL');
        return;
      }
      killGroup(pid, signal);
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      killGroup(pid, 'SIGKILL'); // anything the leader left behind in its group
    },
    logTail(lines = 30): string {
      try {
        return readFileSync(options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
}
