/**
 * Command tags (`SELECT 3`, `INSERT 0 5`, `UPDATE 2`, `COPY 10`, `FETCH 4`, `MERGE 1`): the row
 * count they carry, and the same tag with another count.
 */

/** The tag's row count, or undefined for tags without one (`BEGIN`, `CREATE TABLE`, …). */
export function commandTagCount(tag: string): number | undefined {
  const words = tag.split(' ');
  const last = words[words.length - 1]!;
  if (words.length < 2 || !/^\d+$/.test(last)) return undefined;
  return Number(last);
}

/** The tag with its row count replaced (`SELECT 1000` → `SELECT 50`); tags without a count stay. */
export function withCount(tag: string, count: number): string {
  if (commandTagCount(tag) === undefined) return tag;
  const cut = tag.lastIndexOf(' ');
  return `${tag.slice(0, cut)} ${count}`;
}
