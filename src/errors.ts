// The project's own coded errors, in one table (fastify's FST_ERR_… pattern): each code has one
// class, a stable `code` that logs and alerts can match, and a retry class that says what the
// reconcile loop should do with it. Cloud errors are classified apart, in src/cloud/errors.ts.

/**
 * transient: retry with the usual backoff. permanent: a person must act; retry slowly.
 * terminal: retrying cannot help; do not retry until the object changes.
 */
export type RetryClass = 'transient' | 'permanent' | 'terminal';

interface ErrorSpec {
  readonly retry: RetryClass;
  /** What happened and what to do about it: the documentation of the code. */
  readonly summary: string;
}

export const ERROR_CODES = {
  ECSENI_RECONCILE_TIMEOUT: {
    retry: 'transient',
    summary: 'A reconcile ran past its timeout and was aborted; it is retried with backoff.',
  },
  ECSENI_RECONCILE_PANIC: {
    retry: 'transient',
    summary:
      'A reconcile failed with a programming error (TypeError, ReferenceError, a thrown non-Error); ' +
      'it is retried with backoff and counted in controller_runtime_reconcile_panics_total. Report it as a bug.',
  },
  ECSENI_INVALID_LISTEN_ADDRESS: {
    retry: 'terminal',
    summary: "A listen address is not 'host:port' or ':port' with a port from 0 to 65535.",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export abstract class CodedError extends Error {
  abstract readonly code: ErrorCode;

  get retry(): RetryClass {
    return ERROR_CODES[this.code].retry;
  }
}

export class ReconcileTimeoutError extends CodedError {
  readonly code = 'ECSENI_RECONCILE_TIMEOUT';
  override readonly name = 'ReconcileTimeoutError';

  constructor(timeoutMs: number) {
    super(`reconcile did not finish within ${timeoutMs} ms`);
  }
}

export class ReconcilePanicError extends CodedError {
  readonly code = 'ECSENI_RECONCILE_PANIC';
  override readonly name = 'ReconcilePanicError';

  constructor(cause: unknown) {
    super(`panic: ${cause instanceof Error ? cause.message : String(cause)} [recovered]`, { cause });
  }
}

export class InvalidListenAddressError extends CodedError {
  readonly code = 'ECSENI_INVALID_LISTEN_ADDRESS';
  override readonly name = 'InvalidListenAddressError';

  constructor(address: string) {
    super(`invalid listen address ${JSON.stringify(address)}: want 'host:port' or ':port'`);
  }
}
