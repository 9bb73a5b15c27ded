// The planner's last line: a change that would touch the primary interface, a kernel table, or a
// route or rule the agent did not create is a bug, and nothing of the plan is applied.
import { UnsafeChangeError } from '../errors.ts';
import { AGENT_PROTOCOL } from './marks.ts';
import type { Change } from './changes.ts';
import { RESERVED_TABLES } from './kernel-state.ts';

function linkOf(change: Change): string | undefined {
  if ('link' in change) return change.link;
  if (change.op === 'route-replace') return change.route.dev;
  if (change.op === 'route-del') return change.route.dev;
  return undefined;
}

function violation(change: Change, protectedNames: ReadonlySet<string>): string | undefined {
  const link = linkOf(change);
  if (link !== undefined && protectedNames.has(link)) return `touches the protected link ${link}`;
  if ('route' in change && RESERVED_TABLES.has(change.route.table)) return `writes the kernel's table ${change.route.table}`;
  if ('rule' in change && RESERVED_TABLES.has(change.rule.table)) return `points a rule at the kernel's table ${change.rule.table}`;
  if (change.op === 'route-del' && change.route.protocol !== AGENT_PROTOCOL) return 'deletes a route the agent did not create';
  if (change.op === 'rule-del' && change.rule.protocol !== AGENT_PROTOCOL) return 'deletes a rule the agent did not create';
  return undefined;
}

export function assertSafe(changes: readonly Change[], protectedNames: ReadonlySet<string>): void {
  for (const change of changes) {
    const problem = violation(change, protectedNames);
    if (problem !== undefined) throw new UnsafeChangeError(`refusing a plan whose change ${change.op} ${problem}`);
  }
}
