/**
 * Reads the planner's estimate of a write from `EXPLAIN (FORMAT JSON, VERBOSE)`: every ModifyTable
 * node in the plan (the statement's own, and those of writable CTEs), with the rows that feed it —
 * the estimated rows of its outer input. A ModifyTable's own "Plan Rows" is 0 without RETURNING, so
 * it cannot be used. Pure: takes the JSON text, returns figures or a reason it cannot.
 */

export interface PlannedWrite {
  operation: 'insert' | 'update' | 'delete' | 'merge' | 'unknown';
  schema?: string;
  relation?: string;
  /** Estimated rows fed to the node. */
  rows: number;
}

export type ExplainReading = { writes: PlannedWrite[] } | { error: string };

interface PlanNode {
  'Node Type'?: string;
  Operation?: string;
  'Relation Name'?: string;
  Schema?: string;
  'Parent Relationship'?: string;
  'Plan Rows'?: number;
  Plans?: PlanNode[];
}

const OPERATIONS: Readonly<Record<string, PlannedWrite['operation']>> = { Insert: 'insert', Update: 'update', Delete: 'delete', Merge: 'merge' };

export function readExplain(json: string): ExplainReading {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { error: 'the plan is not valid JSON' };
  }
  const root = Array.isArray(parsed) ? (parsed[0] as { Plan?: PlanNode } | undefined)?.Plan : undefined;
  if (!root || typeof root !== 'object') return { error: 'the plan has no root node' };
  const writes: PlannedWrite[] = [];
  const visit = (node: PlanNode, depth: number): string | undefined => {
    if (depth > 1000) return 'the plan is nested too deeply';
    const children = Array.isArray(node.Plans) ? node.Plans : [];
    if (node['Node Type'] === 'ModifyTable') {
      // Before PostgreSQL 14 an inherited target had one "Member" subplan per child table.
      const feeding = children.filter((c) => c['Parent Relationship'] === 'Outer' || c['Parent Relationship'] === 'Member');
      if (feeding.length === 0) return 'a ModifyTable node has no input in the plan';
      let rows = 0;
      for (const input of feeding) {
        const planned = input['Plan Rows'];
        if (typeof planned !== 'number' || !Number.isFinite(planned) || planned < 0) return 'a ModifyTable input has no row estimate';
        rows += planned;
      }
      writes.push({
        operation: OPERATIONS[node.Operation ?? ''] ?? 'unknown',
        rows: Math.ceil(rows),
        ...(node.Schema !== undefined ? { schema: node.Schema } : {}),
        ...(node['Relation Name'] !== undefined ? { relation: node['Relation Name'] } : {}),
      });
    }
    for (const child of children) {
      const problem = visit(child, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  };
  const problem = visit(root, 0);
  if (problem) return { error: problem };
  if (writes.length === 0) return { error: 'the plan has no write in it (a function may write, which the planner cannot size)' };
  return { writes };
}
