// Finding text in columns, ignoring case: ILIKE with the user's text as plain characters.
import { sql, type RawBuilder } from 'kysely';

/** `text` as an ILIKE pattern that matches it anywhere: `%`, `_` and `\` in it are escaped, so a
 * search for "100%" finds "100%" and not "1000". */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Whether any of `columns` (text, or text[] for `arrays`) contains `text`, ignoring case. */
export function containsText(text: string, columns: readonly string[], arrays: readonly string[] = []): RawBuilder<boolean> {
  const pattern = containsPattern(text);
  const tests = [
    ...columns.map((c) => sql`${sql.ref(c)} ilike ${pattern}`),
    ...arrays.map((c) => sql`exists (select 1 from unnest(${sql.ref(c)}) as v(x) where v.x ilike ${pattern})`),
  ];
  return sql<boolean>`(${sql.join(tests, sql` or `)})`;
}
