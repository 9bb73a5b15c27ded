import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { KubeConfigNotFoundError, KubeConfigUnsupportedError } from '../errors.ts';
import { inClusterRestConfig, loadRestConfig, restConfigFromKubeConfig } from './rest-config.ts';

function kubeconfig(name: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  });
}

describe('loadRestConfig (the lean kubeconfig reader)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'restcfg-'));
    mkdirSync(join(dir, 'pki'));
    writeFileSync(join(dir, 'pki', 'ca.crt'), 'CA-PEM');
    writeFileSync(join(dir, 'pki', 'admin.crt'), 'CERT-PEM');
    writeFileSync(join(dir, 'pki', 'admin.key'), 'KEY-PEM');
    writeFileSync(join(dir, 'token'), 'file-token\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads files relative to the kubeconfig, as kubectl does, and drops a trailing slash', () => {
    const file = join(dir, 'certs.yaml');
    writeFileSync(file, kubeconfig('a', { server: 'https://a.example:6443/', 'certificate-authority': 'pki/ca.crt' }, { 'client-certificate': 'pki/admin.crt', 'client-key': 'pki/admin.key' }));
    const config = loadRestConfig(file, {});
    assert.equal(config.server, 'https://a.example:6443');
    assert.equal(config.ca?.toString(), 'CA-PEM');
    assert.equal(config.cert?.toString(), 'CERT-PEM');
    assert.equal(config.key?.toString(), 'KEY-PEM');
    assert.equal(config.token, undefined);
  });

  it('reads inline base64 data, a token, a token file, insecure-skip-tls-verify and tls-server-name', () => {
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const inline = join(dir, 'inline.yaml');
    writeFileSync(inline, kubeconfig('b', { server: 'https://b', 'certificate-authority-data': b64('CA2'), 'tls-server-name': 'api.b' }, { token: 'abc', 'client-certificate-data': b64('C2'), 'client-key-data': b64('K2') }));
    assert.deepEqual(
      { ...loadRestConfig(inline, {}), ca: 'CA2', cert: 'C2', key: 'K2' },
      { server: 'https://b', ca: 'CA2', cert: 'C2', key: 'K2', token: 'abc', tlsServerName: 'api.b' },
    );
    const tokenFile = join(dir, 'tokenfile.yaml');
    writeFileSync(tokenFile, kubeconfig('c', { server: 'https://c', 'insecure-skip-tls-verify': true }, { tokenFile: 'token' }));
    assert.deepEqual(loadRestConfig(tokenFile, {}), { server: 'https://c', insecureSkipTlsVerify: true, tokenFile: join(dir, 'token') });
  });

  it('merges KUBECONFIG files as kubectl does: the first to define a name or the current context wins', () => {
    writeFileSync(join(dir, 'm1.yaml'), stringify({ clusters: [{ name: 'x', cluster: { server: 'https://first' } }] }));
    writeFileSync(join(dir, 'm2.yaml'), kubeconfig('x', { server: 'https://second' }, { token: 't2' }));
    const config = loadRestConfig(undefined, { KUBECONFIG: `${dir}/m1.yaml:${dir}/m2.yaml` });
    assert.equal(config.server, 'https://first');
    assert.equal(config.token, 't2');
  });

  it('refuses exec plugins, auth providers, basic auth and proxies with a stable code, never falling back', () => {
    const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['exec', { server: 'https://e' }, { exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1' } }],
      ['auth-provider', { server: 'https://e' }, { 'auth-provider': { name: 'oidc' } }],
      ['basic', { server: 'https://e' }, { username: 'u', password: 'p' }],
      ['proxy', { server: 'https://e', 'proxy-url': 'http://proxy:3128' }, { token: 't' }],
    ];
    for (const [name, cluster, user] of cases) {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, kubeconfig(name, cluster, user));
      assert.throws(() => loadRestConfig(file, {}), (err: unknown) => {
        assert.ok(err instanceof KubeConfigUnsupportedError, name);
        assert.equal(err.code, 'ECSENI_KUBECONFIG_UNSUPPORTED');
        return true;
      });
    }
  });

  it('fails with ECSENI_KUBECONFIG_NOT_FOUND when nothing is configured or no context names a cluster', () => {
    writeFileSync(join(dir, 'empty.yaml'), '{}');
    assert.throws(() => loadRestConfig(join(dir, 'empty.yaml'), {}), KubeConfigNotFoundError);
    assert.throws(() => loadRestConfig(undefined, { HOME: join(dir, 'nohome') }), KubeConfigNotFoundError);
  });

  it('in a pod: the service host and port, the ServiceAccount CA, and the token as a file (it rotates)', () => {
    const sa = join(dir, 'sa');
    mkdirSync(sa);
    writeFileSync(join(sa, 'ca.crt'), 'SA-CA');
    const config = inClusterRestConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, sa);
    assert.deepEqual({ ...config, ca: config.ca?.toString() }, { server: 'https://[fd00::1]:443', ca: 'SA-CA', tokenFile: join(sa, 'token') });
  });

  it("takes a client-node KubeConfig's parsed current context, its in-cluster tokenFile provider included", () => {
    const kc = {
      getCurrentCluster: () => ({ name: 'k', server: 'https://k', caData: Buffer.from('KCA').toString('base64') }),
      getCurrentUser: () => ({ name: 'u', authProvider: { name: 'tokenFile', config: { tokenFile: '/var/run/t' } } }),
    };
    const config = restConfigFromKubeConfig(kc);
    assert.deepEqual({ ...config, ca: config.ca?.toString() }, { server: 'https://k', ca: 'KCA', tokenFile: '/var/run/t' });
    const oidc = { ...kc, getCurrentUser: () => ({ name: 'u', authProvider: { name: 'oidc', config: {} } }) };
    assert.throws(() => restConfigFromKubeConfig(oidc), KubeConfigUnsupportedError);
  });
});
