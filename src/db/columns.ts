// One spelling rule between code and schema: a field is camelCase in code and its column is the same
// name in snake_case (`fileId` in `file_id`, `itemsDiscovered` in `items_discovered`). Records cross
// that line only through these functions, each with the list of fields it carries, so no column name
// is translated by hand.

/** `itemsDiscovered` → `items_discovered`, in the type system. */
export type SnakeCase<S extends string> = S extends `${infer C}${infer Rest}`
  ? `${C extends Lowercase<C> ? C : `_${Lowercase<C>}`}${SnakeCase<Rest>}`
  : S;

/** A record's fields as the columns that store them. */
export type Columns<T> = { [K in keyof T & string as SnakeCase<K>]: T[K] };

export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const columnNames = new Map<string, string>();
function column(name: string): string {
  let c = columnNames.get(name);
  if (c === undefined) columnNames.set(name, (c = snakeCase(name)));
  return c;
}

/** The columns of `value`'s listed fields (fields not listed are left behind). */
export function toColumns<T extends object, K extends keyof T & string>(value: T, fields: readonly K[]): Columns<Pick<T, K>> {
  const source = value as Record<string, unknown>;
  const row: Record<string, unknown> = {};
  for (const f of fields) row[column(f)] = source[f];
  return row as Columns<Pick<T, K>>;
}

/** The listed fields of a record, read from the columns of `row`. */
export function fromColumns<T extends object>(row: Columns<T>, fields: readonly (keyof T & string)[]): T {
  const source = row as Record<string, unknown>;
  const value: Record<string, unknown> = {};
  for (const f of fields) value[f] = source[column(f)];
  return value as T;
}
