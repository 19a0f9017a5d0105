/**
 * Renders the sample schema and dataset as one SQL script (plain statements, no psql
 * meta-commands), so any PostgreSQL — PGlite included — can load it with a simple query.
 */
import { SAMPLE_SCHEMA_SQL, SERIAL_TABLES } from './sample-schema.js';
import { generateSampleDataset, type SampleDataset } from './sample-dataset.js';

type Value = string | number | null;

/**
 * Run one at a time after loading (VACUUM refuses a multi-statement message): frozen, analysed and
 * checkpointed data gives the first start no hint-bit writes and no WAL to replay.
 */
export const SAMPLE_FINISH_STATEMENTS = ['vacuum (analyze, freeze)', 'checkpoint'] as const;

/** The schema, every row, and sequences moved past the inserted ids. */
export function sampleSql(dataset: SampleDataset = generateSampleDataset()): string {
  const parts = [
    SAMPLE_SCHEMA_SQL.trim(),
    insert('customers', dataset.customers),
    insert('products', dataset.products),
    insert('orders', dataset.orders),
    insert('order_items', dataset.order_items),
    insert('support_tickets', dataset.support_tickets),
    ...SERIAL_TABLES.map(
      (table) => `select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}));`,
    ),
  ];
  return `${parts.join('\n\n')}\n`;
}

/** One multi-row INSERT per 500 rows, columns in the order of the row objects' keys. */
function insert(table: string, rows: readonly object[]): string {
  const first = rows[0];
  if (first === undefined) return '';
  const columns = Object.keys(first);
  const statements: string[] = [];
  for (let start = 0; start < rows.length; start += 500) {
    const values = rows
      .slice(start, start + 500)
      .map((row) => `(${columns.map((c) => literal((row as Record<string, Value>)[c] ?? null)).join(', ')})`);
    statements.push(`insert into ${table} (${columns.join(', ')}) values\n${values.join(',\n')};`);
  }
  return statements.join('\n');
}

/** A SQL literal; standard_conforming_strings is on, so only the quote needs doubling. */
function literal(value: Value): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  return `'${value.replaceAll("'", "''")}'`;
}
