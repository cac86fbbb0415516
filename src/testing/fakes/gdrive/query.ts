// The part of Drive's files.list query language the fake answers
// (https://developers.google.com/drive/api/guides/search-files, .../ref-search-terms):
//   '<id>' in parents | name = '<text>' | name != ... | name contains '<text>' |
//   mimeType = '<type>' | mimeType != ... | trashed = true|false,
// combined with and, or, not and parentheses. Strings are single-quoted, `\'` and `\\` escaped.
// Anything else is a QueryError, which the fake answers as Drive does: 400 Invalid Value on `q`.

export interface QueryItem {
  name: string;
  mimeType: string;
  parents: readonly string[];
  trashed: boolean;
}

export type Query = (item: QueryItem) => boolean;

export class QueryError extends Error {}

type Token = { kind: 'string'; value: string } | { kind: 'word'; value: string } | { kind: 'op'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < text.length; ) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === "'") {
      let value = '';
      for (i += 1; ; i += 1) {
        if (i >= text.length) throw new QueryError('an unterminated string');
        const c = text[i]!;
        if (c === '\\') {
          i += 1;
          if (i >= text.length) throw new QueryError('an unterminated string');
          value += text[i];
        } else if (c === "'") {
          i += 1;
          break;
        } else value += c;
      }
      tokens.push({ kind: 'string', value });
    } else if (ch === '(' || ch === ')' || ch === '=') {
      tokens.push({ kind: 'op', value: ch });
      i += 1;
    } else if (text.startsWith('!=', i)) {
      tokens.push({ kind: 'op', value: '!=' });
      i += 2;
    } else {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))?.[0];
      if (!word) throw new QueryError(`an unexpected character ${JSON.stringify(ch)}`);
      tokens.push({ kind: 'word', value: word });
      i += word.length;
    }
  }
  return tokens;
}

/** The query as a predicate over items. Throws QueryError. */
export function parseQuery(text: string): Query {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const isWord = (t: Token | undefined, word: string) => t?.kind === 'word' && t.value.toLowerCase() === word;
  const expect = (check: (t: Token | undefined) => boolean, what: string): Token => {
    const t = tokens[at];
    if (!check(t)) throw new QueryError(`expected ${what}`);
    at += 1;
    return t!;
  };

  const or = (): Query => {
    const parts = [and()];
    while (isWord(peek(), 'or')) {
      at += 1;
      parts.push(and());
    }
    return parts.length === 1 ? parts[0]! : (item) => parts.some((p) => p(item));
  };
  const and = (): Query => {
    const parts = [unary()];
    while (isWord(peek(), 'and')) {
      at += 1;
      parts.push(unary());
    }
    return parts.length === 1 ? parts[0]! : (item) => parts.every((p) => p(item));
  };
  const unary = (): Query => {
    const t = peek();
    if (isWord(t, 'not')) {
      at += 1;
      const inner = unary();
      return (item) => !inner(item);
    }
    if (t?.kind === 'op' && t.value === '(') {
      at += 1;
      const inner = or();
      expect((x) => x?.kind === 'op' && x.value === ')', '")"');
      return inner;
    }
    return term();
  };
  const term = (): Query => {
    const t = peek();
    if (t?.kind === 'string') {
      at += 1;
      expect((x) => isWord(x, 'in'), '"in"');
      expect((x) => isWord(x, 'parents'), '"parents"');
      const id = t.value;
      return (item) => item.parents.includes(id);
    }
    const field = expect((x) => x?.kind === 'word', 'a field')?.value;
    const op = peek();
    let operator: string;
    if (op?.kind === 'op' && (op.value === '=' || op.value === '!=')) operator = op.value;
    else if (isWord(op, 'contains')) operator = 'contains';
    else throw new QueryError(`expected an operator after ${field}`);
    at += 1;
    if (field === 'trashed') {
      if (operator === 'contains') throw new QueryError('trashed takes = or !=');
      const value = expect((x) => isWord(x, 'true') || isWord(x, 'false'), 'true or false').value.toLowerCase() === 'true';
      return (item) => (item.trashed === value) === (operator === '=');
    }
    if (field !== 'name' && field !== 'mimeType') throw new QueryError(`the field ${field} is not supported`);
    const value = expect((x) => x?.kind === 'string', 'a string').value;
    const of = (item: QueryItem) => (field === 'name' ? item.name : item.mimeType);
    if (operator === 'contains') return (item) => of(item).includes(value);
    return (item) => (of(item) === value) === (operator === '=');
  };

  const query = or();
  if (at !== tokens.length) throw new QueryError('unexpected words at the end');
  return query;
}
