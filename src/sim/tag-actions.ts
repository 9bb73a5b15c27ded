// TagResources and UntagResources, for ResourceType `eni` (the one taggable resource the simulator
// holds). Every named ENI is checked before any is changed, so a failed call changes nothing.
import { SimError, invalid, missing } from './errors.ts';
import type { ActionContext } from './eni-actions.ts';
import type { Answer } from './idempotency.ts';
import type { Params } from './params.ts';
import { MAX_TAGS, checkTags } from './rules.ts';
import type { EniRecord } from './state.ts';

/** ResourceId.N: 1 to 50 resources a call. */
const MAX_RESOURCES = 50;

/** The ENIs that ResourceType and ResourceId.N name; all must exist. */
function namedEnis(ctx: ActionContext, params: Params): EniRecord[] {
  const type = params.required('ResourceType');
  if (type !== 'eni') throw new SimError('InvalidResourceType.NotFound', `The ResourceType provided does not exist in our records: ${type} (the simulator tags only eni).`);
  const ids = params.list('ResourceId', MAX_RESOURCES);
  if (ids.length === 0) throw missing('ResourceId.N');
  return ids.map((id) => {
    const eni = ctx.model.findEni(id);
    if (!eni) throw new SimError('InvalidResourceId.NotFound', `The specified ResourceIds are not found in our records: ${id}.`);
    return eni;
  });
}

/** A key the ENI already has keeps its place and takes the new value; new keys go last. */
function withTags(current: EniRecord['tags'], added: EniRecord['tags']): EniRecord['tags'] {
  const values = new Map(current.map((t) => [t.key, t.value]));
  for (const { key, value } of added) values.set(key, value);
  return [...values].map(([key, value]) => ({ key, value }));
}

export function tagResources(ctx: ActionContext, params: Params): Answer {
  const tags = params.tags();
  if (tags.length === 0) throw missing('Tag.N.Key');
  if (tags.length > MAX_TAGS) throw invalid('Tag.N', `at most ${MAX_TAGS} tags a call`);
  checkTags(tags);
  const changes = namedEnis(ctx, params).map((eni) => ({ eni, next: withTags(eni.tags, tags) }));
  const over = changes.find((c) => c.next.length > MAX_TAGS);
  if (over) {
    throw new SimError('OperationDenied.QuotaExceed', `The quota of tags on resource is beyond permitted range: ${over.eni.id} would carry ${over.next.length} tags; at most ${MAX_TAGS}.`);
  }
  for (const { eni, next } of changes) eni.tags = next;
  return {};
}

/** Keys the ENI does not carry are no error: the call asks for a state, and that state holds. */
export function untagResources(ctx: ActionContext, params: Params): Answer {
  const keys = params.list('TagKey', MAX_TAGS);
  const all = params.bool('All') ?? false;
  if (all && keys.length > 0) throw invalid('All', 'All=true removes every tag; give it without TagKey.N');
  if (!all && keys.length === 0) throw missing('TagKey.N');
  for (const eni of namedEnis(ctx, params)) eni.tags = all ? [] : eni.tags.filter((t) => !keys.includes(t.key));
  return {};
}
