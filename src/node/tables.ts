// Which route table each Policy-mode ENI uses. A table named in the claim wins if it is usable;
// otherwise the table the agent used before (recorded in the claim's status, or found through its
// own rule in the kernel) is kept, so that restarts do not move anything; otherwise the lowest
// table of TABLE_RANGE that no route or rule refers to.
import { RESERVED_TABLES, type KernelState } from './kernel-state.ts';
import { compareCodeUnits } from '../strings.ts';
import { AGENT_PROTOCOL, TABLE_RANGE } from './marks.ts';

export interface TableRequest {
  claim: string;
  /** `spec.routing.tableId`. */
  explicit?: number;
  /** `status.interface.routeTable`, and the table of the agent's rule for the ENI's primary IP. */
  previous: number[];
}

export type TableChoice = { table: number } | { conflict: string };

/** Tables that hold a route or are named by a rule the agent did not create. */
export function foreignTables(state: KernelState): Set<number> {
  const tables = new Set<number>();
  for (const route of state.routes) if (route.protocol !== AGENT_PROTOCOL) tables.add(route.table);
  for (const rule of state.rules) if (rule.protocol !== AGENT_PROTOCOL) tables.add(rule.table);
  return tables;
}

function referencedTables(state: KernelState): Set<number> {
  return new Set([...state.routes.map((r) => r.table), ...state.rules.map((r) => r.table)]);
}

function explicitChoice(table: number, foreign: Set<number>, taken: Map<number, string>): TableChoice {
  if (RESERVED_TABLES.has(table)) return { conflict: `table ${table} is reserved by the kernel` };
  const holder = taken.get(table);
  if (holder !== undefined) return { conflict: `table ${table} is already used by claim ${holder}` };
  if (foreign.has(table)) return { conflict: `table ${table} holds routes or rules the agent did not create` };
  return { table };
}

function lowestFree(referenced: Set<number>, taken: Map<number, string>): number | undefined {
  for (let table = TABLE_RANGE.first; table <= TABLE_RANGE.last; table++) {
    if (!referenced.has(table) && !taken.has(table)) return table;
  }
  return undefined;
}

/** Chooses a table for every request; claims naming a table are served first. */
export function chooseTables(requests: readonly TableRequest[], state: KernelState): Map<string, TableChoice> {
  const foreign = foreignTables(state);
  const referenced = referencedTables(state);
  const taken = new Map<number, string>();
  const choices = new Map<string, TableChoice>();
  const take = (claim: string, choice: TableChoice): void => {
    choices.set(claim, choice);
    if ('table' in choice) taken.set(choice.table, claim);
  };
  const ordered = [...requests].sort(
    (a, b) => Number(b.explicit !== undefined) - Number(a.explicit !== undefined) || compareCodeUnits(a.claim, b.claim),
  );
  for (const request of ordered) {
    if (request.explicit !== undefined) {
      take(request.claim, explicitChoice(request.explicit, foreign, taken));
      continue;
    }
    const kept = request.previous.find((table) => 'table' in explicitChoice(table, foreign, taken));
    const table = kept ?? lowestFree(referenced, taken);
    take(
      request.claim,
      table === undefined
        ? { conflict: `no free table left in ${TABLE_RANGE.first}–${TABLE_RANGE.last}` }
        : { table },
    );
  }
  return choices;
}
