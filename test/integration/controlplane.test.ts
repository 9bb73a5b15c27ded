// The foundation every integration test stands on: a real kube-apiserver that serves CRDs,
// enforces RBAC on ServiceAccounts, and leaves no process behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiextensionsV1Api, CustomObjectsApi, RbacAuthorizationV1Api, CoreV1Api, VersionApi, Watch,
} from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { KUBERNETES_VERSION } from '../support/binaries.ts';

const GROUP = 'widgets.ecseni-test.io';
const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [{
      name: 'v1', served: true, storage: true,
      schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
    }],
  },
};

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('test control plane', () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane();
  });
  after(async () => {
    await cp?.stop();
  });

  it('answers /version with the pinned release', async () => {
    const version = await cp.kubeConfig.makeApiClient(VersionApi).getCode();
    assert.equal(version.gitVersion, KUBERNETES_VERSION);
  });

  it('serves a CRD whose objects can be written, read, watched and deleted', async () => {
    const ext = cp.kubeConfig.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({ body: widgetCrd });
    const objects = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const target = { group: GROUP, version: 'v1', namespace: 'default', plural: 'widgets' };
    // The CRD needs a moment to be served after creation.
    let created: { metadata: { resourceVersion: string } } | undefined;
    for (let i = 0; i < 50 && !created; i++) {
      created = await objects.createNamespacedCustomObject({
        ...target, body: { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } },
      }).catch(async () => { await new Promise((r) => setTimeout(r, 200)); return undefined; });
    }
    assert.ok(created, 'Widget was never accepted');

    const seen: string[] = [];
    const watchDone = new Promise<void>((resolve, reject) => {
      void new Watch(cp.kubeConfig).watch(`/apis/${GROUP}/v1/namespaces/default/widgets`,
        { resourceVersion: created!.metadata.resourceVersion },
        (type: string, obj: { spec?: { size?: number } }) => {
          seen.push(`${type}:${obj.spec?.size}`);
          if (type === 'DELETED') resolve();
        }, (err: unknown) => (err ? reject(err) : undefined));
    });

    const read = await objects.getNamespacedCustomObject({ ...target, name: 'w1' }) as { spec: { size: number } };
    assert.equal(read.spec.size, 3);
    await objects.patchNamespacedCustomObject({ ...target, name: 'w1', body: [{ op: 'replace', path: '/spec/size', value: 4 }] });
    await objects.deleteNamespacedCustomObject({ ...target, name: 'w1' });
    await watchDone;
    assert.deepEqual(seen, ['MODIFIED:4', 'DELETED:4']);
  });

  it('denies a ServiceAccount without grants and allows it after a Role and RoleBinding', async () => {
    const asSa = await cp.serviceAccountKubeConfig('rbac-test', 'reader');
    const core = asSa.makeApiClient(CoreV1Api);
    await assert.rejects(core.listNamespacedConfigMap({ namespace: 'rbac-test' }), (err: { code?: number }) => err.code === 403);

    const rbac = cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: 'rbac-test', body: {
      metadata: { name: 'read-configmaps' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
    } });
    await rbac.createNamespacedRoleBinding({ namespace: 'rbac-test', body: {
      metadata: { name: 'reader-reads' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'rbac-test' }],
    } });
    const list = await core.listNamespacedConfigMap({ namespace: 'rbac-test' });
    assert.ok(Array.isArray(list.items));
    // The grant is exactly what the Role says: other verbs stay denied.
    await assert.rejects(core.createNamespacedConfigMap({ namespace: 'rbac-test', body: { metadata: { name: 'x' } } }),
      (err: { code?: number }) => err.code === 403);
  });
});

describe('test control plane teardown', () => {
  it('leaves no etcd or kube-apiserver process of the run behind', async () => {
    const cp = await startControlPlane();
    const pids = cp.pids();
    assert.equal(pids.length, 2);
    assert.ok(pids.every(processAlive));
    await cp.restartApiServer();
    const afterRestart = cp.pids();
    assert.notEqual(afterRestart[1], pids[1], 'the API server was restarted');
    await cp.stop();
    for (const pid of [...pids, ...afterRestart]) assert.equal(processAlive(pid), false, `process ${pid} survived teardown`);
  });

  it('kills the control plane when the process that started it is killed', async () => {
    const { spawn } = await import('node:child_process');
    const script = `
      import { startControlPlane } from ${JSON.stringify(new URL('../support/controlplane.ts', import.meta.url).pathname)};
      const cp = await startControlPlane();
      process.stdout.write(JSON.stringify(cp.pids()) + '\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pids: number[] = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as number[]);
      });
      child.on('exit', () => reject(new Error('child exited early')));
    });
    child.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (pids.some(processAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(pids.filter(processAlive), [], 'etcd/kube-apiserver survived their parent being killed');
  });
});
