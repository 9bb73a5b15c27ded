import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { CENSOR, createLogger, redactSecrets } from './logging.ts';

function capture(level = 'info'): { lines: () => Record<string, unknown>[]; text: () => string; logger: ReturnType<typeof createLogger> } {
  let out = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out += chunk.toString();
      callback();
    },
  });
  const logger = createLogger({ level, name: 'test', destination });
  return {
    logger,
    text: () => out,
    lines: () => out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const SECRETS = ['LTAI-sk-0001', 'sts-token-0002', 'hunter2', 'Bearer abc.def', 'ak-id-0003', 'kube-key-0004', 'sts-0005', 'cause-0006'];

test('secrets are absent from the output wherever they sit: fields, nesting, arrays, errors, child bindings', () => {
  const { logger, text, lines } = capture();
  const sdkError = Object.assign(new Error('Forbidden.RAM', { cause: new Error('inner') }), {
    config: { credential: { accessKeyId: 'ak-id-0003', accessKeySecret: 'LTAI-sk-0001' } },
    request: { headers: { Authorization: 'Bearer abc.def', 'x-acs-security-token': 'sts-0005' } },
  });
  const child = logger.child({ user: { password: 'hunter2' }, region: 'cn-hangzhou' });
  child.error(
    {
      err: sdkError,
      accessKeySecret: 'LTAI-sk-0001',
      options: { credentials: { securityToken: 'sts-token-0002' } },
      kubeconfig: { users: [{ user: { 'client-key-data': 'kube-key-0004' } }] },
      nested: { a: { b: { c: { d: { SecurityToken: 'sts-token-0002' } } } } },
      error: Object.assign(new Error('wrapped'), { secret: 'cause-0006' }),
    },
    'cloud call failed',
  );
  for (const secret of SECRETS) assert.ok(!text().includes(secret), `${secret} leaked: ${text()}`);
  const [line] = lines();
  assert.equal(line?.accessKeySecret, CENSOR);
  assert.equal(line?.region, 'cn-hangzhou', 'ordinary fields are written');
  assert.equal(line?.level, 'error');
  assert.equal(line?.name, 'test');
  assert.equal(line?.msg, 'cloud call failed');
  const err = line?.err as Record<string, unknown>;
  assert.equal(err.type, 'Error');
  assert.match(String(err.message), /Forbidden\.RAM/);
  assert.match(String(err.stack), /caused by: Error: inner/, 'the error keeps its stack and cause');
});

test('redactSecrets copies only along the way to a secret and never changes its input', () => {
  const clean = { spec: { nodeName: 'node-a', tags: ['x'] }, clientToken: 'idempotency-token-is-not-secret' };
  assert.equal(redactSecrets(clean), clean);
  const input = { a: { token: 't' }, b: { keep: 1 }, when: new Date(0) };
  const out = redactSecrets(input);
  assert.deepEqual(out, { a: { token: CENSOR }, b: { keep: 1 }, when: new Date(0) });
  assert.equal(out.b, input.b);
  assert.equal(input.a.token, 't');
});

test('a circular object is written without hanging', () => {
  const { logger, text } = capture();
  const loop: Record<string, unknown> = { password: 'hunter2' };
  loop.self = loop;
  logger.info({ loop }, 'circular');
  assert.ok(!text().includes('hunter2'));
  assert.match(text(), /circular/);
});

test('level filters lines', () => {
  const { logger, lines } = capture('warn');
  logger.info('hidden');
  logger.warn('shown');
  assert.deepEqual(
    lines().map((l) => l.msg),
    ['shown'],
  );
});
