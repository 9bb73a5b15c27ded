// The project's own coded errors, in one table (fastify's FST_ERR_… pattern): each code has one
// class, a stable `code` that logs and alerts can match, and a retry class that says what the
// reconcile loop should do with it. Cloud errors are classified apart, in src/cloud/errors.ts.
// Both processes load this file, the node agent too: it imports nothing, and must stay that way.

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
      'it is retried with backoff and counted in controller_runtime_reconcile_panics_total: report it as a bug.',
  },
  ECSENI_INVALID_LISTEN_ADDRESS: {
    retry: 'terminal',
    summary: "A listen address (--metrics-bind-address) is not 'host:port' or ':port' with a port from 0 to 65535: fix the flag.",
  },
  ECSENI_INVALID_FLAG: {
    retry: 'terminal',
    summary: 'A command-line flag is missing, unknown or malformed; the command exits 2: fix the flag that the message names (see --help).',
  },
  ECSENI_KUBECONFIG_NOT_FOUND: {
    retry: 'terminal',
    summary:
      'No Kubernetes client configuration was found, or the one found names no cluster: ' +
      'pass --kubeconfig, set KUBECONFIG, or run in a pod with a ServiceAccount.',
  },
  ECSENI_KUBECONFIG_UNSUPPORTED: {
    retry: 'terminal',
    summary:
      'The kubeconfig asks for something the lean client does not do (exec plugin, auth-provider, basic auth, ' +
      'impersonation, proxy-url): use client certificates, a token or a token file instead.',
  },
  ECSENI_KUBE_API_ERROR: {
    retry: 'transient',
    summary:
      'The API server answered with an error status (statusCode, and its Status in body); callers handle 404 and 409, ' +
      'the rest is retried with backoff: on 401 or 403 check the ServiceAccount and its RBAC.',
  },
  ECSENI_NODE_TOOL_FAILED: {
    retry: 'transient',
    summary:
      'An ip or sysctl process could not start or failed as a whole, and the node agent retries on its next pass; ' +
      'if it persists, check that iproute2 is installed and the agent has CAP_NET_ADMIN.',
  },
  ECSENI_NODE_SYSCTLS_UNWRITABLE: {
    retry: 'permanent',
    summary:
      "The node agent cannot write the network sysctls and exits 1: in a container, mount the host's /proc/sys/net " +
      'and pass its path as --proc-sys-net.',
  },
  ECSENI_NODE_UNSAFE_CHANGE: {
    retry: 'terminal',
    summary:
      "The node agent's plan would touch the primary interface, a kernel table or a route or rule it did not create, " +
      'so none of it was applied; report it as a bug with the logged plan.',
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

/** A usage error: the command prints the message and exits 2. */
export class FlagError extends CodedError {
  readonly code = 'ECSENI_INVALID_FLAG';
  override readonly name = 'FlagError';
}

export class KubeConfigNotFoundError extends CodedError {
  readonly code = 'ECSENI_KUBECONFIG_NOT_FOUND';
  override readonly name = 'KubeConfigNotFoundError';

  constructor(tried: readonly string[]) {
    super(
      `no Kubernetes client configuration found (tried: ${tried.join('; ')}): ` +
        'pass --kubeconfig, set KUBECONFIG, or run in a pod with a ServiceAccount',
    );
  }
}

export class KubeConfigUnsupportedError extends CodedError {
  readonly code = 'ECSENI_KUBECONFIG_UNSUPPORTED';
  override readonly name = 'KubeConfigUnsupportedError';

  constructor(what: string) {
    super(
      `${what} is not supported by this client: use client certificates, a token or a token file ` +
        '(e.g. a ServiceAccount token from `kubectl create token`)',
    );
  }
}

/** The API server answered with an error status; `body` is its metav1.Status when it sent one. */
export class KubeApiError extends CodedError {
  readonly code = 'ECSENI_KUBE_API_ERROR';
  override readonly name = 'KubeApiError';
  readonly statusCode: number;
  readonly body: unknown;

  constructor(method: string, path: string, statusCode: number, body: unknown) {
    const message = (body as { message?: unknown } | undefined)?.message;
    super(`${method} ${path}: HTTP ${statusCode}${typeof message === 'string' ? `: ${message}` : ''}`);
    this.statusCode = statusCode;
    this.body = body;
  }
}

/** A tool process (ip, sysctl) could not be spawned, or failed in a way that names no single command. */
export class ToolFailedError extends CodedError {
  readonly code = 'ECSENI_NODE_TOOL_FAILED';
  override readonly name = 'ToolFailedError';
}

export class SysctlsUnwritableError extends CodedError {
  readonly code = 'ECSENI_NODE_SYSCTLS_UNWRITABLE';
  override readonly name = 'SysctlsUnwritableError';
}

export class UnsafeChangeError extends CodedError {
  readonly code = 'ECSENI_NODE_UNSAFE_CHANGE';
  override readonly name = 'UnsafeChangeError';
}
