// The Dropbox fake's cursors: opaque base64 to the client, as Dropbox's are, and inside them what the
// fake needs to answer list_folder/continue: the folder (lower-case path), whether the listing is
// recursive, the page limit, the generation of cursors (expireCursors starts a new one) and either
// where a listing stands or the journal position changes are reported since.

/** A listing under way: items after `after` (a sort key and an id) are still to come; the changes
 * since `seq` (the position when it began) follow it. */
export interface ListingCursor {
  kind: 'listing';
  path: string;
  recursive: boolean;
  limit?: number;
  generation: number;
  seq: number;
  after: [string, string];
}

/** Changes since `seq`; while a read of them is paged, the read is pinned to position `to` and
 * `offset` entries of it were answered. */
export interface ChangesCursor {
  kind: 'changes';
  path: string;
  recursive: boolean;
  limit?: number;
  generation: number;
  seq: number;
  to?: number;
  offset?: number;
}

export type FakeCursor = ListingCursor | ChangesCursor;

export function encodeCursor(cursor: FakeCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** The cursor, or undefined when the text is none of ours. */
export function decodeCursor(text: unknown): FakeCursor | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<FakeCursor> | null;
    if (!value || (value.kind !== 'listing' && value.kind !== 'changes') || typeof value.path !== 'string' || typeof value.seq !== 'number') return undefined;
    return value as FakeCursor;
  } catch {
    return undefined;
  }
}
