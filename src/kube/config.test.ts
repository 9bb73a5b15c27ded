import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfigNotFoundError } from '../errors.ts';
import { loadKubeConfig, resolveKubeConfigSource } from './config.ts';

function kubeconfig(server: string, context: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: context, cluster: { server } }],
    users: [{ name: context, user: { token: 't' } }],
    contexts: [{ name: context, context: { cluster: context, user: context } }],
    'current-context': context,
  });
}

describe('loadKubeConfig', () => {
  let dir: string;
  let home: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kc-'));
    home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(dir, 'a.yaml'), kubeconfig('https://a.example:6443', 'a'));
    writeFileSync(join(dir, 'b.yaml'), kubeconfig('https://b.example:6443', 'b'));
    writeFileSync(join(dir, 'a2.yaml'), kubeconfig('https://other.example:6443', 'a'));
    writeFileSync(join(dir, 'empty.yaml'), JSON.stringify({ apiVersion: 'v1', kind: 'Config' }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers an explicit path, then KUBECONFIG, then in-cluster, then ~/.kube/config', () => {
    const env = { KUBECONFIG: `${dir}/a.yaml:${dir}/b.yaml`, KUBERNETES_SERVICE_HOST: '10.0.0.1' };
    assert.deepEqual(resolveKubeConfigSource('/x', env, home), { kind: 'files', paths: ['/x'] });
    assert.deepEqual(resolveKubeConfigSource(undefined, env, home), { kind: 'files', paths: [`${dir}/a.yaml`, `${dir}/b.yaml`] });
    writeFileSync(join(home, '.kube', 'config'), kubeconfig('https://home.example', 'home'));
    assert.deepEqual(resolveKubeConfigSource(undefined, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, home), { kind: 'in-cluster' });
    assert.deepEqual(resolveKubeConfigSource(undefined, {}, home), { kind: 'files', paths: [join(home, '.kube', 'config')] });
    rmSync(join(home, '.kube', 'config'));
    assert.equal(resolveKubeConfigSource(undefined, {}, home).kind, 'none');
  });

  it('merges the KUBECONFIG files as kubectl does: the first to define a name or the context wins', () => {
    const kc = loadKubeConfig(undefined, { KUBECONFIG: `${dir}/a.yaml:${dir}/b.yaml:${dir}/a2.yaml` });
    assert.equal(kc.getCurrentCluster()?.server, 'https://a.example:6443');
    assert.deepEqual(kc.getContexts().map((c) => c.name).sort(), ['a', 'b']);
  });

  it('fails with a stable code when there is no configuration, or it names no cluster', () => {
    assert.throws(() => loadKubeConfig(join(dir, 'empty.yaml'), {}), (err: unknown) => {
      assert.ok(err instanceof KubeConfigNotFoundError);
      assert.equal(err.code, 'ECSENI_KUBECONFIG_NOT_FOUND');
      return true;
    });
    assert.throws(() => loadKubeConfig(undefined, { HOME: home }), KubeConfigNotFoundError);
  });
});
