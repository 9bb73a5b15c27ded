import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as errors from './errors.ts';
import { CodedError, ERROR_CODES } from './errors.ts';

type ErrorClass = new (arg: never) => CodedError;

function exportedErrorClasses(): ErrorClass[] {
  const exported: unknown[] = Object.values(errors);
  return exported.filter((v): v is ErrorClass => typeof v === 'function' && v.prototype instanceof CodedError);
}

test('every code in the table has exactly one exported class, and every class a code in the table', () => {
  const codes = exportedErrorClasses().map((Class) => new Class(undefined as never).code);
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
    const err = new Class('x' as never);
    assert.ok(err instanceof Error);
    assert.equal(err.name, Class.name);
    assert.equal(err.retry, ERROR_CODES[err.code].retry);
    assert.ok(err.message.length > 0);
    assert.equal(JSON.parse(JSON.stringify({ ...err })).code, err.code, 'the code is an own property, so logs show it');
  }
});
