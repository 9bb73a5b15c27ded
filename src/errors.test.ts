import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as errors from './errors.ts';
import { CodedError, ERROR_CODES } from './errors.ts';

type ErrorClass = new (...args: never[]) => CodedError;

/** Constructor arguments of the classes that take more than a message; the others get one string. */
const SAMPLE_ARGUMENTS: Partial<Record<string, unknown[]>> = {
  ReconcileTimeoutError: [1_000],
  ReconcilePanicError: [new TypeError('x is undefined')],
  KubeConfigNotFoundError: [['--kubeconfig', 'KUBECONFIG']],
  KubeApiError: ['GET', '/api/v1/nodes/n1', 404, { kind: 'Status', message: 'nodes "n1" not found' }],
};

function exportedErrorClasses(): ErrorClass[] {
  const exported: unknown[] = Object.values(errors);
  return exported.filter((v): v is ErrorClass => typeof v === 'function' && v.prototype instanceof CodedError);
}

function sample(Class: ErrorClass): CodedError {
  return new Class(...((SAMPLE_ARGUMENTS[Class.name] ?? ['x']) as never[]));
}

test('every code in the table has exactly one exported class, and every class a code in the table', () => {
  const codes = exportedErrorClasses().map((Class) => sample(Class).code);
  assert.deepEqual([...codes].sort(), Object.keys(ERROR_CODES).sort());
});

test('codes are stable identifiers with a retry class and a one-sentence summary', () => {
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^ECSENI_[A-Z][A-Z0-9_]*$/);
    assert.ok(['transient', 'permanent', 'terminal'].includes(spec.retry), code);
    assert.match(spec.summary, /^[A-Z].{20,}\.$/s, code);
  }
});

test('instances carry code, retry class, name and message, and are Errors', () => {
  for (const Class of exportedErrorClasses()) {
    const err = sample(Class);
    assert.ok(err instanceof Error);
    assert.equal(err.name, Class.name);
    assert.equal(err.retry, ERROR_CODES[err.code].retry);
    assert.ok(err.message.length > 0);
    assert.equal(JSON.parse(JSON.stringify({ ...err })).code, err.code, 'the code is an own property, so logs show it');
  }
});

test('extra fields survive the move into the table: KubeApiError keeps statusCode and body', () => {
  const err = new errors.KubeApiError('GET', '/api/v1/nodes/n1', 404, { message: 'nodes "n1" not found' });
  assert.equal(err.statusCode, 404);
  assert.deepEqual(err.body, { message: 'nodes "n1" not found' });
  assert.equal(err.message, 'GET /api/v1/nodes/n1: HTTP 404: nodes "n1" not found');
});

test("docs/api.md's table lists every code with the table's retry class and summary, and no other", () => {
  const doc = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');
  const rows = doc.split('\n').filter((line) => line.startsWith('| `ECSENI_'));
  const expected = Object.entries(ERROR_CODES).map(([code, spec]) => `| \`${code}\` | ${spec.retry} | ${spec.summary} |`);
  assert.deepEqual(rows, expected, 'regenerate the Error codes table of docs/api.md from ERROR_CODES');
});
