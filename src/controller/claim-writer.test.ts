import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClaimStatus, NetworkInterfaceClaim } from '../api/claim.ts';
import { CONTROLLER_FIELD_MANAGER, NODE_LABEL } from '../api/names.ts';
import { ClaimWriter, type ClaimApi } from './claim-writer.ts';

function claim(resourceVersion: string, status: ClaimStatus = {}, uid = 'u1'): NetworkInterfaceClaim {
  return { apiVersion: 'ecseni.io/v1alpha1', kind: 'NetworkInterfaceClaim', metadata: { name: 'c', uid, resourceVersion }, spec: { nodeName: 'n' }, status };
}

function api(answer: NetworkInterfaceClaim): ClaimApi & { writes: string[] } {
  const writes: string[] = [];
  return {
    writes,
    applyStatus: async (_name, manager) => (writes.push(`status ${manager}`), answer),
    setLabel: async (_name, key, value) => (writes.push(`label ${key}=${value}`), answer),
    addFinalizer: async () => answer,
    removeFinalizer: async () => answer,
  };
}

describe('ClaimWriter', () => {
  it('prefers the answer of its own write until the informer has caught up', async () => {
    const writer = new ClaimWriter(api(claim('12', { phase: 'Ready' })));
    await writer.status(claim('10'), { phase: 'Ready' });
    assert.equal(writer.freshest('c', claim('10'))?.metadata.resourceVersion, '12');
    assert.equal(writer.freshest('c', claim('12'))?.metadata.resourceVersion, '12');
    assert.equal(writer.freshest('c', claim('11'))?.metadata.resourceVersion, '11', 'caught up once: the kept answer is dropped');
  });

  it('lets go of its answer once the informer delivers that version or a newer one', async () => {
    const writer = new ClaimWriter(api(claim('12')));
    await writer.status(claim('10'), { phase: 'Ready' });
    writer.observe(claim('11'));
    assert.equal(writer.freshest('c', claim('10'))?.metadata.resourceVersion, '12', 'an older event keeps it');
    writer.observe(claim('12'));
    assert.equal(writer.freshest('c', claim('10'))?.metadata.resourceVersion, '10', 'caught up: gone');
  });

  it('keeps no managed fields', async () => {
    const answer = { ...claim('12'), metadata: { ...claim('12').metadata, managedFields: [{ manager: 'x' }] } };
    const writer = new ClaimWriter(api(answer));
    await writer.status(claim('10'), { phase: 'Ready' });
    assert.equal(writer.freshest('c', claim('10'))?.metadata.managedFields, undefined);
  });

  it('drops its answer when the claim was replaced by another of the same name', async () => {
    const writer = new ClaimWriter(api(claim('12')));
    await writer.status(claim('10'), { phase: 'Ready' });
    assert.equal(writer.freshest('c', claim('5', {}, 'u2'))?.metadata.uid, 'u2');
  });

  it('writes status and label only when they change', async () => {
    const fake = api(claim('2'));
    const writer = new ClaimWriter(fake);
    await writer.status(claim('1', { phase: 'Ready' }), { phase: 'Ready' });
    await writer.status(claim('1', { phase: 'Attaching' }), { phase: 'Ready' });
    const labelled = { ...claim('1'), metadata: { ...claim('1').metadata, labels: { [NODE_LABEL]: 'n' } } };
    await writer.label(labelled, 'n');
    await writer.label(labelled, 'm');
    assert.deepEqual(fake.writes, [`status ${CONTROLLER_FIELD_MANAGER}`, `label ${NODE_LABEL}=m`]);
  });
});
