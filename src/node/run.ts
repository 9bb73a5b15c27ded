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
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new ToolFailedError(`${command}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = Buffer.concat(stderr).toString();
      resolve({
        code: code ?? 128,
        stdout: Buffer.concat(stdout).toString(),
        stderr: signal ? `${text}killed by ${signal} after ${timeoutMs} ms` : text,
      });
    });
    child.stdin.on('error', () => undefined); // the tool may exit before reading all of stdin
    child.stdin.end(input);
  });
}
