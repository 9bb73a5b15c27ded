// Flag parsing shared by every subcommand: one error class (FlagError, a usage error, exit 2), one
// duration syntax and one way of asking for help, so that the controller and the node agent read alike.
import { FlagError } from './errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `250ms`, `30s`, `2m`, `1h`, `1m30s`; a bare `0` is zero. */
export function parseDuration(text: string, flag: string): number {
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new FlagError(`--${flag}: ${JSON.stringify(text)} is not a duration like 250ms, 30s, 2m or 1h`);
  }
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * (UNITS[unit as string] as number), 0);
}

export function parsePositiveInteger(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new FlagError(`--${flag}: want a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/** True when argv asks for the usage text (it wins over every other flag, valid or not). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '--help' || arg === '-h');
}
