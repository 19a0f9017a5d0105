/** Plain-text tables for benchmark output. */

export type Cell = string | number;

/** Formats µs figures with enough digits to compare: 0.84, 12.3, 1520. */
export function micros(value: number): string {
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return Math.round(value).toString();
}

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = [headers, ...rows].map((row) => row.map(String));
  const widths = headers.map((_, c) => Math.max(...cells.map((row) => row[c]?.length ?? 0)));
  // Figures right-aligned, words left-aligned.
  const numeric = (column: number) => cells.slice(1).every((row) => /^[-\d.,×%]*$/.test(row[column] ?? ''));
  const right = headers.map((_, c) => numeric(c));
  const line = (row: readonly string[]) =>
    row.map((cell, c) => (right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
