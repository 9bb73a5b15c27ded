// The CRD has one source (crds/) and everything that restates a part of it must agree with it:
// the chart's copy, the names in src/api/names.ts, and the TypeScript types in src/api/claim.ts.
// No API server needed: these read files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { parse } from 'yaml';
import { GROUP, KIND, PLURAL, TAG_PREFIX, VERSION } from '../../src/api/names.ts';

const ROOT = new URL('../../', import.meta.url);
const CRD_DIR = new URL('crds/', ROOT);
const CHART_CRD_DIR = new URL('helm/ecs-eni-controller/crds/', ROOT);
const CLAIM_TYPES = new URL('src/api/claim.ts', ROOT);

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  enum?: string[];
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
}

function yamlFiles(dir: URL): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
}

function crdSchema(): Schema {
  const crd = parse(readFileSync(new URL(`${GROUP}_${PLURAL}.yaml`, CRD_DIR), 'utf8')) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
  };
  const version = crd.spec.versions.find((v) => v.name === VERSION);
  assert.ok(version, `the CRD serves ${VERSION}`);
  return version.schema.openAPIV3Schema;
}

/** The schema at a dotted path of property names; `[]` steps into a list's items. */
function at(schema: Schema, path: string): Schema {
  return path.split('.').reduce<Schema>((s, step) => {
    const next = step === '[]' ? s.items : s.properties?.[step];
    assert.ok(next, `schema has ${path} (stuck at ${step})`);
    return next;
  }, schema);
}

test("the chart's CRDs are byte-for-byte copies of crds/ (run helm/sync-crds.sh after editing crds/)", () => {
  assert.deepEqual(yamlFiles(CHART_CRD_DIR), yamlFiles(CRD_DIR));
  for (const file of yamlFiles(CRD_DIR)) {
    assert.equal(
      readFileSync(new URL(file, CHART_CRD_DIR), 'utf8'),
      readFileSync(new URL(file, CRD_DIR), 'utf8'),
      `helm/ecs-eni-controller/crds/${file} differs from crds/${file}`,
    );
  }
});

test('the CRD uses the names of src/api/names.ts', () => {
  const crd = parse(readFileSync(new URL(`${GROUP}_${PLURAL}.yaml`, CRD_DIR), 'utf8')) as {
    metadata: { name: string };
    spec: { group: string; scope: string; names: { kind: string; plural: string } };
  };
  assert.equal(crd.metadata.name, `${PLURAL}.${GROUP}`);
  assert.equal(crd.spec.group, GROUP);
  assert.equal(crd.spec.names.kind, KIND);
  assert.equal(crd.spec.names.plural, PLURAL);
  assert.equal(crd.spec.scope, 'Cluster');
});

test("the tag rule reserves the controller's TAG_PREFIX, and only that rule mentions it", () => {
  const rules = at(crdSchema(), 'spec.tags')['x-kubernetes-validations'] ?? [];
  const reserving = rules.filter((r) => r.rule.includes(`'${TAG_PREFIX}'`));
  assert.equal(reserving.length, 1, `one rule under spec.tags quotes '${TAG_PREFIX}'`);
  assert.equal(reserving[0]?.rule, `self.all(k, !k.startsWith('${TAG_PREFIX}'))`);
  assert.ok(reserving[0]?.message?.includes(TAG_PREFIX), 'its message names the prefix');
});

// ---- src/api/claim.ts against the schema ----

const claimSource = ts.createSourceFile('claim.ts', readFileSync(CLAIM_TYPES, 'utf8'), ts.ScriptTarget.Latest);

function declaration<T extends ts.InterfaceDeclaration | ts.TypeAliasDeclaration>(name: string, is: (n: ts.Node) => n is T): T {
  const found = claimSource.statements.filter(is).find((s) => s.name.text === name);
  assert.ok(found, `src/api/claim.ts declares ${name}`);
  return found;
}

/** Property names of an interface, each marked optional or not. */
function interfaceFields(name: string): { names: string[]; required: string[] } {
  const members = declaration(name, ts.isInterfaceDeclaration).members.filter(ts.isPropertySignature);
  const names = members.map((m) => (m.name as ts.Identifier).text).sort();
  const required = members.filter((m) => !m.questionToken).map((m) => (m.name as ts.Identifier).text).sort();
  return { names, required };
}

/** The string literals of a union type alias such as `type Phase = 'Pending' | 'Ready'`. */
function unionLiterals(name: string): string[] {
  const type = declaration(name, ts.isTypeAliasDeclaration).type;
  const members = ts.isUnionTypeNode(type) ? type.types : [type];
  return members.map((m) => {
    assert.ok(ts.isLiteralTypeNode(m) && ts.isStringLiteral(m.literal), `${name} is a union of string literals`);
    return m.literal.text;
  });
}

const objects: [typeName: string, schemaPath: string][] = [
  ['ClaimSpec', 'spec'],
  ['RoutingSpec', 'spec.routing'],
  ['ClaimStatus', 'status'],
  ['InterfaceStatus', 'status.interface'],
  ['Condition', 'status.conditions.[]'],
];

for (const [typeName, path] of objects) {
  test(`claim.ts ${typeName} has the fields of the schema's ${path}, optional where the schema does not require them`, () => {
    const schema = at(crdSchema(), path);
    const fields = interfaceFields(typeName);
    assert.deepEqual(fields.names, Object.keys(schema.properties ?? {}).sort());
    assert.deepEqual(fields.required, [...(schema.required ?? [])].sort());
  });
}

const enums: [typeName: string, schemaPath: string][] = [
  ['RoutingMode', 'spec.routing.mode'],
  ['ReclaimPolicy', 'spec.reclaimPolicy'],
  ['Phase', 'status.phase'],
  ['ConditionType', 'status.conditions.[].type'],
  ['ConditionStatus', 'status.conditions.[].status'],
];

for (const [typeName, path] of enums) {
  test(`claim.ts ${typeName} lists the values of the schema's ${path} enum, in order`, () => {
    assert.deepEqual(unionLiterals(typeName), at(crdSchema(), path).enum);
  });
}
