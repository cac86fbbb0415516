// The Dropbox fake's memory of where every item was at every journal position it handed a cursor
// for. The tree's journal keeps each item as it is now; Dropbox's feed speaks of paths (a deleted
// item is named by the path it had, a moved folder is its old path deleted and everything under its
// new one listed), so the fake records each item's state as it absorbs the journal, and can lay out
// the whole tree as it was at any absorbed position.
import type { DirectoryTree } from '../tree.ts';

/** An item as it was from journal position `seq` on. */
export interface ItemState {
  seq: number;
  id: string;
  parentId: string;
  name: string;
  folder: boolean;
  size: number;
  modifiedMs: number;
  /** Dropbox's `rev`: a new one when the content or the place changes (not a change of case). */
  rev: string;
  /** When that revision was made (`server_modified`). */
  serverModifiedMs: number;
}

type HistoryRecord = ItemState | { seq: number; id: string; gone: true };

/** An item laid out at a position: its state and its path. */
export interface PlacedItem {
  state: ItemState;
  /** `/Music/Live/01.mp3` */
  display: string;
  /** `/music/live/01.mp3`: how Dropbox compares paths. */
  lower: string;
  /** Sorts parents before their children, and siblings by name. */
  key: string;
}

export class TreeHistory {
  private readonly tree: DirectoryTree;
  private readonly records = new Map<string, HistoryRecord[]>();
  private absorbed = 0;

  constructor(tree: DirectoryTree) {
    this.tree = tree;
  }

  /** The last journal position absorbed: cursors name positions like this one. */
  get seq(): number {
    return this.absorbed;
  }

  /** Takes in what the tree journaled since the last call (call it after every refresh). */
  absorb(): void {
    const now = Date.now();
    for (const change of this.tree.changesSince(this.absorbed)) {
      const list = this.records.get(change.id) ?? [];
      this.records.set(change.id, list);
      const item = change.item;
      if (!item || item.parentId === null) {
        list.push({ seq: change.seq, id: change.id, gone: true });
        continue;
      }
      const before = list.at(-1);
      const previous = before && !('gone' in before) ? before : undefined;
      const same = previous !== undefined && previous.parentId === item.parentId && previous.name.toLowerCase() === item.name.toLowerCase()
        && previous.size === item.size && previous.modifiedMs === item.modifiedMs && previous.folder === item.folder;
      list.push({
        seq: change.seq, id: item.id, parentId: item.parentId, name: item.name, folder: item.folder, size: item.size, modifiedMs: item.modifiedMs,
        rev: same ? previous.rev : change.seq.toString(16).padStart(9, '0'),
        serverModifiedMs: same ? previous.serverModifiedMs : now,
      });
    }
    this.absorbed = this.tree.seq;
  }

  /** Every item as it was at position `seq` (an absorbed one), with its path. */
  at(seq: number): Map<string, PlacedItem> {
    const states = new Map<string, ItemState>();
    for (const [id, list] of this.records) {
      for (let i = list.length - 1; i >= 0; i--) {
        const record = list[i]!;
        if (record.seq > seq) continue;
        if (!('gone' in record)) states.set(id, record);
        break;
      }
    }
    const placed = new Map<string, PlacedItem>();
    const place = (id: string): PlacedItem | undefined => {
      const known = placed.get(id);
      if (known) return known;
      const state = states.get(id);
      if (!state) return undefined;
      const parent = state.parentId === this.tree.rootId ? { display: '', lower: '', key: '' } : place(state.parentId);
      if (!parent) return undefined;
      const item = {
        state,
        display: `${parent.display}/${state.name}`,
        lower: `${parent.lower}/${state.name.toLowerCase()}`,
        key: parent.key === '' ? state.name.toLowerCase() : `${parent.key}\u0000${state.name.toLowerCase()}`,
      };
      placed.set(id, item);
      return item;
    };
    for (const id of states.keys()) place(id);
    return placed;
  }
}
