// Drive's partial responses: `fields=nextPageToken,files(id,name)` keeps only those parts of the
// answer (https://developers.google.com/drive/api/guides/fields-parameter). Without `fields`, or
// with `*`, the fake answers everything it has; the `a/b` spelling of `a(b)` is not read.

export type Selection = Map<string, Selection | true>;

export class FieldsError extends Error {}

/** The selection `fields` names; undefined for everything. Throws FieldsError. */
export function parseFields(fields: string | null): Selection | undefined {
  if (fields === null || fields.trim() === '' || fields.trim() === '*') return undefined;
  let at = 0;
  const list = (): Selection => {
    const selection: Selection = new Map();
    for (;;) {
      const name = /^\s*([A-Za-z0-9_*]+)\s*/.exec(fields.slice(at));
      if (!name) throw new FieldsError(`invalid field selection at ${JSON.stringify(fields.slice(at, at + 20))}`);
      at += name[0].length;
      let sub: Selection | true = true;
      if (fields[at] === '(') {
        at += 1;
        sub = list();
        if (fields[at] !== ')') throw new FieldsError('an unclosed "(" in the field selection');
        at += 1;
      }
      const previous = selection.get(name[1]!);
      selection.set(name[1]!, previous instanceof Map && sub instanceof Map ? new Map([...previous, ...sub]) : sub);
      while (fields[at] === ' ') at += 1;
      if (fields[at] !== ',') return selection;
      at += 1;
    }
  };
  const selection = list();
  if (at !== fields.length) throw new FieldsError(`unexpected ${JSON.stringify(fields.slice(at))} in the field selection`);
  return selection;
}

/** Whether `name` is asked for at this level. */
export function wants(selection: Selection | undefined, name: string): boolean {
  return selection === undefined || selection.has(name) || selection.has('*');
}

/** `value` with only the selected parts. */
export function select(value: unknown, selection: Selection | true | undefined): unknown {
  if (selection === undefined || selection === true || selection.has('*')) return value;
  if (Array.isArray(value)) return value.map((v) => select(v, selection));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of selection) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = select(v, sub);
  }
  return out;
}

/** The selection under `name` (for an answer's `files` or `changes`). */
export function under(selection: Selection | undefined, name: string): Selection | undefined {
  const sub = selection?.get(name);
  return sub instanceof Map ? sub : undefined;
}
