// The Helm chart as helm itself reads it: lint, render with the default and a full values file,
// reject misspelt values, grant exactly the RBAC the design allows, agree with package.json,
// src/api/names.ts and crds/, and keep deploy/ (rendered from it) up to date.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { findBinary } from '../support/binaries.ts';
import { AGENT_FINALIZER, GROUP, PLURAL } from '../../src/api/names.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const CHART = join(ROOT, 'helm/ecs-eni-controller');
const FULL_VALUES = join(ROOT, 'test/fixtures/helm-values-full.yaml');
/** helm builds without version stamps assume Kubernetes 1.20, below the chart's kubeVersion. */
const KUBE_VERSION = '1.36.3';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

interface Container {
  name: string;
  command?: string[];
  args: string[];
  env?: { name: string; value?: string; valueFrom?: Record<string, { fieldPath?: string; name?: string; key?: string }> }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  securityContext: {
    runAsUser?: number;
    allowPrivilegeEscalation: boolean;
    readOnlyRootFilesystem: boolean;
    capabilities: { drop: string[]; add?: string[] };
  };
  volumeMounts: { name: string; mountPath: string }[];
  image: string;
}

interface PodSpec {
  serviceAccountName: string;
  hostNetwork?: boolean;
  dnsPolicy?: string;
  securityContext: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile: { type: string } };
  containers: Container[];
  tolerations?: { operator: string }[];
  volumes: { name: string; hostPath?: { path: string }; projected?: { sources: { serviceAccountToken: { audience: string } }[] } }[];
}

type Workload = K8sObject & {
  spec: { replicas?: number; template: { metadata: { annotations?: Record<string, string> }; spec: PodSpec } };
};
interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

function helmPath(): string {
  const path = findBinary('helm');
  assert.ok(path, 'helm not found: run "npm run test:prepare" to build it (see test/support/binaries.ts)');
  return path;
}

function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(helmPath(), args, { cwd: ROOT, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function render(extra: string[] = []): K8sObject[] {
  const { status, stdout, stderr } = helm([
    'template', 'ecs-eni-controller', CHART, '--namespace', 'eni-system', '--kube-version', KUBE_VERSION, ...extra,
  ]);
  assert.equal(status, 0, stderr);
  return parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject).filter(Boolean);
}

function one<T extends K8sObject>(objects: K8sObject[], kind: string, name?: string): T {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `one ${kind}${name ? ` ${name}` : ''} (found ${found.length})`);
  return found[0] as T;
}

function container(objects: K8sObject[], kind: 'Deployment' | 'DaemonSet'): { pod: PodSpec; c: Container } {
  const pod = one<Workload>(objects, kind).spec.template.spec;
  assert.equal(pod.containers.length, 1);
  return { pod, c: pod.containers[0] as Container };
}

const packageVersion = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test('Chart.yaml version and appVersion follow package.json, and the default image is that version', () => {
  const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { version: string; appVersion: string };
  assert.equal(chart.appVersion, packageVersion);
  assert.equal(chart.version, packageVersion);
  const objects = render();
  assert.equal(container(objects, 'Deployment').c.image, `ecs-eni-controller:${packageVersion}`);
  assert.equal(container(objects, 'DaemonSet').c.image, `ecs-eni-controller:${packageVersion}`);
});

test('helm lint passes with the default and with the full values file', () => {
  for (const args of [[], ['-f', FULL_VALUES]]) {
    const { status, stdout, stderr } = helm(['lint', CHART, '--strict', ...args]);
    assert.equal(status, 0, `${stdout}${stderr}`);
  }
});

test('the default values render the two roles, their RBAC and the admission policy, and no optional extras', () => {
  const kinds = render().map((o) => `${o.kind}/${o.metadata.name}`).sort();
  assert.deepEqual(kinds, [
    'ClusterRole/ecs-eni-controller',
    'ClusterRole/ecs-eni-controller-node-agent',
    'ClusterRoleBinding/ecs-eni-controller',
    'ClusterRoleBinding/ecs-eni-controller-node-agent',
    'DaemonSet/ecs-eni-controller-node-agent',
    'Deployment/ecs-eni-controller',
    'PodDisruptionBudget/ecs-eni-controller',
    'Role/ecs-eni-controller-leader-election',
    'RoleBinding/ecs-eni-controller-leader-election',
    'ServiceAccount/ecs-eni-controller',
    'ServiceAccount/ecs-eni-controller-node-agent',
    'ValidatingAdmissionPolicy/ecs-eni-controller-node-agent-finalizer-only',
    'ValidatingAdmissionPolicyBinding/ecs-eni-controller-node-agent-finalizer-only',
  ]);
});

test('the controller: two leader-elected replicas, the decided flags, non-root, read-only, no capabilities, probes, PDB', () => {
  const objects = render(['--set', 'region=cn-hangzhou', '--set', 'clusterId=c-demo']);
  assert.equal(one<Workload>(objects, 'Deployment').spec.replicas, 2);
  const { pod, c } = container(objects, 'Deployment');
  assert.deepEqual(c.args, [
    'controller', '--region=cn-hangzhou', '--cluster-id=c-demo', '--workers=8', '--leader-elect',
    '--leader-election-namespace=eni-system', '--leader-election-id=ecs-eni-controller',
    '--metrics-bind-address=:8080', '--log-level=info',
  ]);
  assert.equal(c.command?.[0], 'node');
  assert.equal(c.command?.at(-1), 'dist/cli.js');
  assert.ok(c.command?.includes('--lite-mode') && c.command.some((f) => f.startsWith('--max-old-space-size=')), 'the heap is bounded');
  assert.equal(c.env?.find((e) => e.name === 'MALLOC_ARENA_MAX')?.value, '2');
  assert.equal(pod.serviceAccountName, 'ecs-eni-controller');
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
  assert.deepEqual([c.livenessProbe.httpGet, c.readinessProbe.httpGet], [{ path: '/healthz', port: 'metrics' }, { path: '/readyz', port: 'metrics' }]);
  const keyRef = (name: string): unknown => c.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
  assert.deepEqual(keyRef('ALIBABA_CLOUD_ACCESS_KEY_ID'), { name: 'ecs-eni-controller-credentials', key: 'access-key-id' });
  assert.deepEqual(keyRef('ALIBABA_CLOUD_ACCESS_KEY_SECRET'), { name: 'ecs-eni-controller-credentials', key: 'access-key-secret' });
  const pdb = one<K8sObject & { spec: { minAvailable: number } }>(objects, 'PodDisruptionBudget');
  assert.equal(pdb.spec.minAvailable, 1);
});

test('the node agent: every node, host network, NET_ADMIN only, node name from the downward API, host /proc/sys/net', () => {
  const { pod, c } = container(render(), 'DaemonSet');
  assert.equal(pod.hostNetwork, true);
  assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
  assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
  assert.equal(pod.serviceAccountName, 'ecs-eni-controller-node-agent');
  assert.deepEqual(c.args, [
    'node-agent', '--node-name=$(NODE_NAME)', '--metrics-bind-address=:9090', '--log-level=info',
    '--proc-sys-net=/host/proc/sys/net',
  ]);
  assert.deepEqual([c.command?.[0], c.command?.at(-1)], ['node', 'dist/cli.js']);
  assert.ok(['--lite-mode', '--no-node-snapshot', '--expose-gc'].every((f) => c.command?.includes(f)), 'the memory flags the benchmark measured (--expose-gc: the idle collection)');
  assert.equal(c.env?.find((e) => e.name === 'MALLOC_ARENA_MAX')?.value, '2');
  assert.deepEqual(c.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom, { fieldRef: { fieldPath: 'spec.nodeName' } });
  assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'], add: ['NET_ADMIN'] });
  assert.equal(c.securityContext.runAsUser, 0);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.deepEqual(pod.volumes.find((v) => v.name === 'host-proc-sys-net')?.hostPath?.path, '/proc/sys/net');
  assert.ok(c.volumeMounts.some((m) => m.name === 'host-proc-sys-net' && m.mountPath === '/host/proc/sys/net'));
  assert.equal(c.env?.some((e) => e.name.startsWith('ALIBABA_CLOUD_')), false, 'the agent holds no cloud credentials');
  assert.deepEqual([c.livenessProbe.httpGet, c.readinessProbe.httpGet], [{ path: '/healthz', port: 'metrics' }, { path: '/readyz', port: 'metrics' }]);
});

/** The design's least privilege, rule by rule: a change here is a change of the security model. */
const expectedRbac: Record<string, RbacRule[]> = {
  'ClusterRole/ecs-eni-controller': [
    { apiGroups: [GROUP], resources: [PLURAL], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
    { apiGroups: [GROUP], resources: [`${PLURAL}/status`], verbs: ['get', 'patch', 'update'] },
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  ],
  'Role/ecs-eni-controller-leader-election': [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['ecs-eni-controller'], verbs: ['get', 'update'] },
  ],
  'ClusterRole/ecs-eni-controller-node-agent': [
    { apiGroups: [GROUP], resources: [PLURAL], verbs: ['get', 'list', 'watch', 'patch'] },
    { apiGroups: [GROUP], resources: [`${PLURAL}/status`], verbs: ['get', 'patch'] },
  ],
};

test('RBAC grants exactly the verbs of the design, each role bound to its own ServiceAccount', () => {
  const objects = render();
  const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
  assert.deepEqual(roles.map((r) => `${r.kind}/${r.metadata.name}`).sort(), Object.keys(expectedRbac).sort());
  for (const role of roles) {
    assert.deepEqual(role.rules, expectedRbac[`${role.kind}/${role.metadata.name}`], `${role.kind}/${role.metadata.name}`);
  }
  assert.equal(one(objects, 'Role').metadata.namespace, 'eni-system', 'the Lease role lives in the release namespace');
  const subjects = (kind: string, name: string): unknown => (one(objects, kind, name) as { subjects?: unknown }).subjects;
  assert.deepEqual(subjects('ClusterRoleBinding', 'ecs-eni-controller'), [{ kind: 'ServiceAccount', name: 'ecs-eni-controller', namespace: 'eni-system' }]);
  assert.deepEqual(subjects('RoleBinding', 'ecs-eni-controller-leader-election'), [{ kind: 'ServiceAccount', name: 'ecs-eni-controller', namespace: 'eni-system' }]);
  assert.deepEqual(subjects('ClusterRoleBinding', 'ecs-eni-controller-node-agent'), [{ kind: 'ServiceAccount', name: 'ecs-eni-controller-node-agent', namespace: 'eni-system' }]);
});

test("the admission policy matches the agent's ServiceAccount and spares only the agent's finalizer", () => {
  const policy = one<K8sObject & { spec: Record<string, unknown> }>(render(), 'ValidatingAdmissionPolicy');
  const text = JSON.stringify(policy.spec);
  assert.ok(text.includes(`'system:serviceaccount:eni-system:ecs-eni-controller-node-agent'`));
  assert.ok(text.includes(`f != '${AGENT_FINALIZER}'`), `the policy names ${AGENT_FINALIZER}`);
  assert.ok(text.includes(`"resources":["${PLURAL}"]`) && text.includes(`"apiGroups":["${GROUP}"]`));
});

test('the full values file renders every optional part: RRSA, rate limits, ServiceMonitors, PrometheusRule', () => {
  const objects = render(['-f', FULL_VALUES]);
  const { pod, c } = container(objects, 'Deployment');
  assert.deepEqual(c.args.filter((a) => a.startsWith('--rate-limit')), [
    '--rate-limit=AttachNetworkInterface=600', '--rate-limit=CreateNetworkInterface=300',
  ]);
  assert.ok(c.args.includes('--ecs-endpoint=ecs-vpc.cn-hangzhou.aliyuncs.com'));
  assert.ok(c.args.includes('--leader-election-namespace=eni-leases'));
  const env = Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
  assert.equal(env.ALIBABA_CLOUD_ROLE_ARN, 'acs:ram::1234567890123456:role/ecs-eni-controller');
  assert.equal(env.ALIBABA_CLOUD_OIDC_PROVIDER_ARN, 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-c-demo-1');
  const tokenDir = c.volumeMounts.find((m) => m.name === 'rrsa-token')?.mountPath;
  assert.equal(env.ALIBABA_CLOUD_OIDC_TOKEN_FILE, `${tokenDir}/token`);
  assert.equal(pod.volumes.find((v) => v.name === 'rrsa-token')?.projected?.sources[0]?.serviceAccountToken.audience, 'sts.aliyuncs.com');
  assert.equal(c.env?.some((e) => e.name === 'ALIBABA_CLOUD_ACCESS_KEY_ID'), false, 'no AccessKey with RRSA');
  const sa = one(objects, 'ServiceAccount', 'eni-controller-sa');
  assert.equal(sa.metadata.annotations?.['pod-identity.alibabacloud.com/role-name'], 'ecs-eni-controller');
  assert.equal(one(objects, 'Role').metadata.namespace, 'eni-leases');
  const monitors = objects.filter((o) => o.kind === 'ServiceMonitor');
  const jobs = monitors.map((m) => JSON.stringify(m.spec).match(/"targetLabel":"job","replacement":"([^"]+)"/)?.[1]).sort();
  assert.deepEqual(jobs, ['ecs-eni-controller', 'ecs-eni-node-agent'], 'the job names the alert rules select on');
  const rule = one<K8sObject & { spec: unknown }>(objects, 'PrometheusRule');
  assert.deepEqual(rule.spec, parse(readFileSync(join(CHART, 'files/alerts.yaml'), 'utf8')), 'the PrometheusRule is files/alerts.yaml');
});

test('a Secret created from values carries the key pair and rolls the controller when it changes', () => {
  const withKeys = (secret: string): K8sObject[] =>
    render(['--set', 'credentials.secret.create=true', '--set', 'credentials.secret.accessKeyId=LTAIexample', '--set', `credentials.secret.accessKeySecret=${secret}`]);
  const objects = withKeys('s3cret');
  const secret = one<K8sObject & { stringData: Record<string, string> }>(objects, 'Secret', 'ecs-eni-controller-credentials');
  assert.deepEqual(secret.stringData, { 'access-key-id': 'LTAIexample', 'access-key-secret': 's3cret' });
  const checksum = (o: K8sObject[]): unknown =>
    one<Workload>(o, 'Deployment').spec.template.metadata.annotations?.['checksum/credentials'];
  assert.match(String(checksum(objects)), /^[0-9a-f]{64}$/);
  assert.notEqual(checksum(objects), checksum(withKeys('rotated')));
});

test('the schema rejects misspelt and invalid values, naming the culprit', () => {
  const cases: [string[], RegExp][] = [
    [['--set', 'controler.replicas=3'], /additional properties 'controler' not allowed/],
    [['--set', 'controller.replica=3'], /at '\/controller': additional properties 'replica' not allowed/],
    [['--set', 'nodeAgent.tolerations[0].operater=Exists'], /additional properties 'operater' not allowed/],
    [['--set', 'metrics.serviceMonitor.enable=true'], /additional properties 'enable' not allowed/],
    [['--set', 'credentials.source=accesskey'], /credentials\/source/],
    [['--set', 'logLevel=verbose'], /logLevel/],
    [['--set', 'controller.workers=0'], /controller\/workers/],
    [['--set', 'controller.rateLimits.attach=10'], /invalid propertyName 'attach'/],
  ];
  for (const [args, message] of cases) {
    const { status, stderr } = helm(['template', 'x', CHART, '--kube-version', KUBE_VERSION, ...args]);
    assert.notEqual(status, 0, `accepted ${args.join(' ')}`);
    assert.match(stderr, message, args.join(' '));
  }
});

test('RRSA without the role ARN fails with what to set', () => {
  const { status, stderr } = helm(['template', 'x', CHART, '--kube-version', KUBE_VERSION, '--set', 'credentials.source=rrsa']);
  assert.notEqual(status, 0);
  assert.match(stderr, /credentials\.rrsa\.roleArn is required/);
});

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
}

function objectsWithoutAdditionalProperties(node: SchemaNode, path: string): string[] {
  const own = node.type === 'object' && node.additionalProperties === undefined ? [path] : [];
  const children: [string, SchemaNode][] = [
    ...Object.entries(node.properties ?? {}).map(([k, v]): [string, SchemaNode] => [`${path}.${k}`, v]),
    ...(node.items ? [[`${path}[]`, node.items] as [string, SchemaNode]] : []),
    ...(typeof node.additionalProperties === 'object' ? [[`${path}.*`, node.additionalProperties] as [string, SchemaNode]] : []),
    ...(node.anyOf ?? []).map((v, i): [string, SchemaNode] => [`${path}|${i}`, v]),
  ];
  return [...own, ...children.flatMap(([p, child]) => objectsWithoutAdditionalProperties(child, p))];
}

test('values.schema.json closes every object it describes, and the full values file sets every value', () => {
  // helm lint above proves that the schema accepts both values files; here, that it is strict and
  // that the full file leaves no template branch untried.
  const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as SchemaNode;
  // Pass-through Kubernetes structures (affinity terms, env valueFrom) are left to the API server.
  const open = objectsWithoutAdditionalProperties(schema, '$').filter((p) => !/affinity\.|valueFrom$/.test(p));
  assert.deepEqual(open, []);
  const defaults = leafPaths(parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')));
  const full = leafPaths(parse(readFileSync(FULL_VALUES, 'utf8')));
  const unset = defaults.filter((p) => !full.some((q) => q === p || q.startsWith(`${p}.`)));
  assert.deepEqual(unset, []);
});

/** Paths of the values' leaves; lists, and maps that are empty by default, count as leaves. */
function leafPaths(value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) return [path];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, path ? `${path}.${k}` : k));
}

test("the chart's CRDs are a copy of crds/ (helm/sync-crds.sh)", () => {
  const { status, stdout, stderr } = helm(['show', 'crds', CHART]);
  assert.equal(status, 0, stderr);
  const source = readFileSync(join(ROOT, 'crds', `${GROUP}_${PLURAL}.yaml`), 'utf8');
  assert.equal(stdout.trim(), source.trim());
});

test('deploy/ecs-eni-controller.yaml is what deploy/render.sh renders from the chart now', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecseni-deploy-'));
  try {
    const out = join(dir, 'rendered.yaml');
    const result = spawnSync('sh', [join(ROOT, 'deploy/render.sh'), out], { env: { ...process.env, HELM: helmPath() }, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      readFileSync(join(ROOT, 'deploy/ecs-eni-controller.yaml'), 'utf8'),
      readFileSync(out, 'utf8'),
      'deploy/ecs-eni-controller.yaml is stale: run HELM=<helm> deploy/render.sh',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
