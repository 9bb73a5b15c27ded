// ClientToken idempotency: the same token with the same parameters answers what the first call
// answered (the same ENI, the same addresses); with other parameters, IdempotentParameterMismatch.
// ECS does not document how long it remembers a token; the simulator keeps the newest 100,000.
import { SimError, invalid } from './errors.ts';
import { canonicalQuery } from './signature.ts';
import type { Query } from './signature.ts';
import type { IdempotencyEntry } from './state.ts';

const REMEMBERED = 100_000;

export type Answer = Record<string, unknown>;

/** Parameters that identify a call; the token itself is not one of them. */
function fingerprint(query: Query): string {
  const { ClientToken: _token, ...rest } = query;
  return canonicalQuery(rest);
}

export function validClientToken(token: string | undefined): string | undefined {
  if (token !== undefined && (token.length > 64 || !/^[\x20-\x7e]+$/.test(token))) throw invalid('ClientToken', 'at most 64 printable ASCII characters');
  return token;
}

/**
 * Runs `call` once per (action, token): a repeat with the same parameters returns the stored answer
 * without calling again. Without a token, just calls. A failed call stores nothing.
 */
export function idempotent(entries: Map<string, IdempotencyEntry>, action: string, query: Query, call: () => Answer): Answer {
  const token = validClientToken(query.ClientToken === '' ? undefined : query.ClientToken);
  if (token === undefined) return call();
  const key = `${action}:${token}`;
  const print = fingerprint(query);
  const seen = entries.get(key);
  if (seen) {
    if (seen.fingerprint !== print) {
      throw new SimError('IdempotentParameterMismatch', 'The request uses the same client token as a previous, but non-identical request.');
    }
    return seen.response;
  }
  const response = call();
  entries.set(key, { fingerprint: print, response });
  if (entries.size > REMEMBERED) entries.delete(entries.keys().next().value as string);
  return response;
}
