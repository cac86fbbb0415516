// Paths may be longer than a btree index entry can hold, so the indexes that keep one path per job,
// per profile's live library and per snapshot are on md5(path) (see the evidence_and_runs migration).
import { sql, type RawBuilder } from 'kysely';

/** Columns `a` and `b` (trusted SQL names such as `s.path`) hold the same path. The md5 comparison
 * lets the planner probe those indexes; the comparison of the paths themselves settles it. */
export function samePath(a: string, b: string): RawBuilder<boolean> {
  return sql<boolean>`(md5(${sql.raw(a)}) = md5(${sql.raw(b)}) and ${sql.raw(a)} = ${sql.raw(b)})`;
}
