// Kubernetes API conventions for conditions: lastTransitionTime moves only when status changes.
import type { Condition, ConditionStatus, ConditionType } from './claim.ts';

export interface ConditionInput {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message?: string;
  observedGeneration?: number;
}

/** Returns the condition to write, keeping the previous transition time when the status is unchanged. */
export function nextCondition(previous: Condition[] | undefined, input: ConditionInput, now: Date): Condition {
  const old = previous?.find((c) => c.type === input.type);
  const lastTransitionTime = old && old.status === input.status ? old.lastTransitionTime : now.toISOString();
  return {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: input.message ?? '',
    ...(input.observedGeneration === undefined ? {} : { observedGeneration: input.observedGeneration }),
    lastTransitionTime,
  };
}

export function findCondition(conditions: Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: Condition[] | undefined, type: ConditionType): boolean {
  return findCondition(conditions, type)?.status === 'True';
}
