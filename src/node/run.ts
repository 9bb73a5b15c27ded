// Runs one short-lived tool process (ip, sysctl, grep) with a deadline, and collects its output.
import { spawn } from 'node:child_process';
import { ToolFailedError } from '../errors.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Runs `argv` with `input` on stdin; resolves with the exit code (never rejects on a non-zero exit). */
export function run(argv: readonly string[], input = '', timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RunResult> {
  const [command, ...args] = argv;
  if (command === undefined) throw new ToolFailedError('empty command line');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new ToolFailedError(`${command}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 128,
        stdout,
        stderr: signal ? `${stderr}killed by ${signal} after ${timeoutMs} ms` : stderr,
      });
    });
    child.stdin.on('error', () => undefined); // the tool may exit before reading all of stdin
    child.stdin.end(input);
  });
}
