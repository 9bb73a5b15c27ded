// Reading the API server's errors, whichever client met them: client-node's generated API throws
// ApiException (`.code`, `.body` holding the server's Status as text), its Watch reports
// `.statusCode`; the lean client (rest.ts) throws KubeApiError (`.statusCode`, `.body` the Status
// object, `.code` its own string code). Callers ask questions instead.

/** The HTTP status of a failed API call, or undefined for network and other errors. */
export function apiStatusCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

export function isNotFound(err: unknown): boolean {
  return apiStatusCode(err) === 404;
}

/** 409: a resourceVersion precondition failed, or a create found the name taken. Retry with a fresh read. */
export function isConflict(err: unknown): boolean {
  return apiStatusCode(err) === 409;
}

/** The server's own message (metav1.Status.message) when there is one, for logs and Events. */
export function apiErrorMessage(err: unknown): string {
  const body = (err as { body?: unknown } | null)?.body;
  const status = typeof body === 'string' ? safeParse(body) : body;
  const message = (status as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string') return message;
  return err instanceof Error ? err.message : String(err);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
