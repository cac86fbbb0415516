// The fake's delta of a folder (https://learn.microsoft.com/en-us/graph/api/driveitem-delta) over the
// tree's journal. Its tokens are opaque to the client and name a state kept here:
// - an enumeration from nothing: the items under the folder when it started (parents first, the
//   folder itself first of all), answered page by page in their state now; its deltaLink reads from
//   the journal position it started at, so what changed meanwhile comes in the next read;
// - a deltaLink: a journal position and the items under the folder at that position;
// - a read from a deltaLink: its position moves along the journal as pages are answered.
// A read answers each item's last change: an item under the folder now comes with its ancestors up
// to the folder (as Graph lists the parents of changed items); one no longer under it that was there
// is answered deleted (moved out of the folder, or deleted). A folder moved in from outside comes
// alone, without its contents: the documentation does not say Graph sends them (it says a renamed
// folder's descendants are not sent), so the fake does not, and the client lists such a folder.
import type { DirectoryTree, TreeItem } from '../tree.ts';

export type DeltaAnswer =
  | { kind: 'page'; items: DeltaEntry[]; nextToken?: string; deltaToken?: string }
  | { kind: 'gone'; reason: string }
  | { kind: 'bad'; reason: string };

/** An item to answer: as it is now, or gone (with the folder it was last seen in). */
export type DeltaEntry = { item: TreeItem } | { deletedId: string; parentId: string | undefined };

type State =
  | { kind: 'enumeration'; scopeId: string; ids: string[]; startSeq: number }
  | { kind: 'link'; scopeId: string; seq: number; inside: Set<string> }
  | { kind: 'read'; scopeId: string; told: Set<string> };

interface Token {
  /** The state's number. */
  n: number;
  /** An enumeration's offset, or a read's journal position. */
  at?: number;
}

export class DeltaModel {
  private readonly tree: DirectoryTree;
  private readonly states = new Map<number, State>();
  private serial = 0;
  /** deltaLinks numbered below this are gone. */
  private expiredBelow = 0;
  /** Where each item was last seen, for the deletions of folders and files the client knew. */
  private readonly parents = new Map<string, string>();

  constructor(tree: DirectoryTree) {
    this.tree = tree;
  }

  /** Every deltaLink handed out so far answers 410 from now on. */
  expire(): void {
    this.expiredBelow = this.serial + 1;
  }

  /** One page of the delta of the folder `scopeId` (`token`: absent to enumerate, `latest`, or a
   * token of a link this model answered), at most `top` entries (ancestors may add a few). */
  page(scopeId: string, token: string | undefined, top: number): DeltaAnswer {
    if (token === undefined) return this.enumerate(this.add({ kind: 'enumeration', scopeId, ids: this.under(scopeId), startSeq: this.tree.seq }), 0, top);
    if (token === 'latest') return { kind: 'page', items: [], deltaToken: this.linkNow(scopeId) };
    const parsed = parseToken(token);
    const state = parsed ? this.states.get(parsed.n) : undefined;
    if (!parsed || !state) return { kind: 'gone', reason: 'unknown token' };
    if (state.scopeId !== scopeId) return { kind: 'bad', reason: 'the token is of the delta of another item' };
    if (state.kind === 'enumeration') return this.enumerate(parsed.n, parsed.at ?? 0, top);
    if (state.kind === 'link') {
      if (parsed.n < this.expiredBelow) return { kind: 'gone', reason: 'the token has expired' };
      return this.read(this.add({ kind: 'read', scopeId, told: new Set(state.inside) }), state.seq, top);
    }
    return this.read(parsed.n, parsed.at ?? 0, top);
  }

  private enumerate(n: number, offset: number, top: number): DeltaAnswer {
    const state = this.states.get(n) as Extract<State, { kind: 'enumeration' }>;
    const items: DeltaEntry[] = [];
    let at = offset;
    for (; at < state.ids.length && items.length < top; at++) {
      const item = this.tree.get(state.ids[at]!);
      if (item && this.tree.isUnder(item.id, state.scopeId)) items.push(this.seen(item));
    }
    if (at < state.ids.length) return { kind: 'page', items, nextToken: tokenOf({ n, at }) };
    return { kind: 'page', items, deltaToken: tokenOf({ n: this.add({ kind: 'link', scopeId: state.scopeId, seq: state.startSeq, inside: new Set(state.ids) }) }) };
  }

  private read(n: number, position: number, top: number): DeltaAnswer {
    const state = this.states.get(n) as Extract<State, { kind: 'read' }>;
    const items: DeltaEntry[] = [];
    const listed = new Set<string>();
    let at = position;
    for (const change of this.tree.changesSince(position)) {
      if (items.length >= top) return { kind: 'page', items, nextToken: tokenOf({ n, at }) };
      at = change.seq;
      const item = this.tree.get(change.id);
      if (item && this.tree.isUnder(item.id, state.scopeId)) {
        for (const ancestor of this.ancestors(item, state.scopeId)) {
          if (!listed.has(ancestor.id)) items.push(this.seen(ancestor));
          listed.add(ancestor.id);
        }
        items.push(this.seen(item));
        listed.add(item.id);
        state.told.add(item.id);
      } else if (state.told.has(change.id)) {
        items.push({ deletedId: change.id, parentId: this.parents.get(change.id) });
        state.told.delete(change.id);
      }
    }
    return { kind: 'page', items, deltaToken: this.linkNow(state.scopeId) };
  }

  private linkNow(scopeId: string): string {
    return tokenOf({ n: this.add({ kind: 'link', scopeId, seq: this.tree.seq, inside: new Set(this.under(scopeId)) }) });
  }

  /** The folder and everything under it, parents first. */
  private under(scopeId: string): string[] {
    if (scopeId === this.tree.rootId) return [scopeId, ...this.tree.all().map((i) => i.id)];
    const out = [scopeId];
    const walk = (id: string) => {
      for (const child of this.tree.children(id)) {
        out.push(child.id);
        if (child.folder) walk(child.id);
      }
    };
    walk(scopeId);
    return out;
  }

  /** The folders from `scopeId` down to the item's parent. */
  private ancestors(item: TreeItem, scopeId: string): TreeItem[] {
    const out: TreeItem[] = [];
    for (let at = item.id === scopeId ? undefined : item.parentId; at; ) {
      const folder = this.tree.get(at);
      if (!folder) break;
      out.unshift(folder);
      if (folder.id === scopeId) break;
      at = folder.parentId ?? undefined;
    }
    return out;
  }

  private seen(item: TreeItem): DeltaEntry {
    if (item.parentId) this.parents.set(item.id, item.parentId);
    return { item };
  }

  private add(state: State): number {
    this.states.set(++this.serial, state);
    return this.serial;
  }
}

function tokenOf(token: Token): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function parseToken(text: string): Token | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Token;
    return Number.isSafeInteger(value.n) && (value.at === undefined || Number.isSafeInteger(value.at)) ? value : undefined;
  } catch {
    return undefined;
  }
}
