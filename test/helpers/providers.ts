import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalProvider, localProvider } from '../../src/providers/local/index.ts';
import { defaultProviders, type ProviderRegistry } from '../../src/providers/registry.ts';
import type {
  ChangeFeed, ListPage, ProviderChange, ProviderFile, ProviderModule, RandomAccessReader, StorageProvider,
} from '../../src/providers/types.ts';
import { ProviderError } from '../../src/providers/types.ts';

/**
 * Test providers: real local folders with a controllable fault or delay in front, registered in a
 * real registry beside `local` (the same registry the worker uses; nothing is mocked).
 */
export interface Faults {
  /** Calls of the journaled provider's list() and getChanges(). */
  journaledListCalls: number;
  feedCalls: number;
  /** list() fails with a retryable error this many times first. */
  listFailures: number;
  /** open() waits this long (ms) before reading; abortable through `release()`. */
  openDelayMs: number;
  /** Number of files opened so far. */
  opened: number;
  listCalls: number;
  /** validate() fails with this kind of provider error (not retryable unless `unavailable`). */
  validateError?: 'unauthorized' | 'notFound' | 'unavailable';
}

/** A test provider kind over a local folder: its profiles are checked and normalised as local ones. */
export function overLocal<K extends string>(kind: K, create: ProviderModule['create']): ProviderModule<K> {
  return { kind, secretNames: [], normalizeProfile: localProvider.normalizeProfile, create };
}

export function faultyRegistry(faults: Faults): ProviderRegistry<string> {
  // The journaled provider's server-side state: what each cursor it handed out saw.
  const journal = new Map<string, Map<string, ProviderFile>>();
  return defaultProviders()
    .with(overLocal('journaled', (profile) => journaledProvider(new LocalProvider(profile.root), faults, journal)))
    .with(overLocal('faulty', (profile) => {
      const local = new LocalProvider(profile.root);
      return {
        kind: 'faulty',
        usesNetwork: false,
        async validate() {
          if (faults.validateError) throw new ProviderError(faults.validateError, `validation failed (injected ${faults.validateError})`);
          return local.validate();
        },
        async list(token: string | undefined, size: number): Promise<ListPage> {
          faults.listCalls += 1;
          if (faults.listFailures > 0) {
            faults.listFailures -= 1;
            throw new ProviderError('unavailable', 'listing failed (injected 503)');
          }
          return local.list(token, size);
        },
        async open(file: Pick<ProviderFile, 'fileId' | 'path'>): Promise<RandomAccessReader> {
          faults.opened += 1;
          if (faults.openDelayMs > 0) await new Promise((r) => setTimeout(r, faults.openDelayMs));
          return local.open(file);
        },
      };
    }));
}

export function newFaults(partial: Partial<Faults> = {}): Faults {
  return { listFailures: 0, openDelayMs: 0, opened: 0, listCalls: 0, journaledListCalls: 0, feedCalls: 0, ...partial };
}

/** Like Drive's md5Checksum: the fake server hashes content, as the real one does on upload. */
async function withHash(local: LocalProvider, files: ProviderFile[]): Promise<ProviderFile[]> {
  return Promise.all(
    files.map(async (f) => {
      const bytes = await readFile(path.join(local.root, ...f.path.split('/'))).catch(() => undefined);
      return { ...f, providerHash: bytes ? `md5:${createHash('md5').update(bytes).digest('hex')}` : null };
    }),
  );
}

async function walk(local: LocalProvider): Promise<Map<string, ProviderFile>> {
  const files = new Map<string, ProviderFile>();
  let token: string | undefined;
  do {
    const page = await local.list(token, 1000);
    for (const f of await withHash(local, page.files)) files.set(f.fileId, f);
    token = page.nextPageToken;
  } while (token);
  return files;
}

/**
 * A fake of a cloud API with a change feed (Google Drive `changes.list` semantics) over a real folder:
 * the "server" remembers what each cursor saw and answers changes keyed by file id, in pages, with
 * the next cursor on the last page only. Upserts come twice (the last wins), as real feeds may.
 */
function journaledProvider(local: LocalProvider, faults: Faults, journal: Map<string, Map<string, ProviderFile>>): StorageProvider {
  const remember = (state: Map<string, ProviderFile>) => {
    const cursor = `c${journal.size + 1}`;
    journal.set(cursor, state);
    return cursor;
  };
  const feed: ChangeFeed = {
    async getStartCursor() {
      return remember(await walk(local));
    },
    async getChanges(cursor, pageToken, pageSize) {
      faults.feedCalls += 1;
      const before = journal.get(cursor);
      if (!before) throw new ProviderError('cursorExpired', `unknown cursor ${cursor}`);
      const now = await walk(local);
      const changes: ProviderChange[] = [];
      for (const [id, f] of now) {
        const old = before.get(id);
        if (!old || old.path !== f.path || old.size !== f.size || old.modifiedAt?.getTime() !== f.modifiedAt?.getTime()) {
          changes.push({ kind: 'upsert', file: { ...f, size: f.size + 1 } }, { kind: 'upsert', file: f });
        }
      }
      for (const id of before.keys()) if (!now.has(id)) changes.push({ kind: 'remove', fileId: id });
      const start = pageToken ? Number(pageToken) : 0;
      const end = start + pageSize;
      return end < changes.length
        ? { changes: changes.slice(start, end), nextPageToken: String(end) }
        : { changes: changes.slice(start), newCursor: remember(now) };
    },
  };
  return {
    kind: 'journaled',
    usesNetwork: false,
    validate: () => local.validate(),
    list: async (token, size) => {
      faults.journaledListCalls += 1;
      const page = await local.list(token, size);
      return { ...page, files: await withHash(local, page.files) };
    },
    open: (file) => {
      faults.opened += 1;
      return local.open(file);
    },
    changeFeed: feed,
  };
}
