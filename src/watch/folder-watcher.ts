// The folder watcher: every local profile's folder is watched, and each burst of changes in it becomes
// one incremental sync request to the profile's actor. Profiles added, removed or moved to another
// folder are picked up every `refreshMs`; a watch that breaks becomes a request too (see root-watch).
import type { SyncRequestSink } from '../contract/actor.ts';
import type { Db } from '../db/connect.ts';
import { listProfiles } from '../db/profiles.ts';
import { currentCursor } from '../db/snapshots.ts';
import { createDebouncer } from './debounce.ts';
import { createRequestSender, type WatchedProfile } from './requests.ts';
import { RootWatch } from './root-watch.ts';

export interface FolderWatcherOptions {
  db: Db;
  sink: SyncRequestSink;
  /** A burst ends once its folder has been quiet this long. */
  quietMs: number;
  /** A burst that never goes quiet is requested this long after its first change. */
  maxWaitMs: number;
  /** How often the list of local profiles is read again (30 s by default). */
  refreshMs?: number;
  log?: (line: string) => void;
}

export interface FolderWatcher {
  /** Closes every watch, sends the bursts under way (waiting briefly for the sink), clears every timer. */
  stop(): Promise<void>;
  /** The roots of the local profiles being watched (or awaited, when the folder is not there), sorted. */
  roots(): string[];
  /** Resolves once every current root's watch is set up (or awaits its missing folder). */
  ready(): Promise<void>;
}

const LOCAL_PROVIDER = 'local';

interface Watched {
  profile: WatchedProfile & { root: string };
  watch: RootWatch;
}

/** Starts watching every local profile's folder. Rejects only when the profiles cannot be read at start. */
export async function startFolderWatcher(options: FolderWatcherOptions): Promise<FolderWatcher> {
  const { db, sink, quietMs, maxWaitMs } = options;
  const refreshMs = options.refreshMs ?? 30_000;
  if (!Number.isFinite(refreshMs) || refreshMs <= 0) throw new RangeError(`refreshMs must be a positive number of milliseconds (got ${refreshMs})`);
  const log = options.log ?? (() => {});
  const sender = createRequestSender({ sink, log });
  const watched = new Map<string, Watched>();
  const debouncer = createDebouncer<string>({
    quietMs,
    maxWaitMs,
    onBurst: (profileId, burst) => {
      const entry = watched.get(profileId);
      if (entry) sender.send(entry.profile, burst);
    },
  });

  let stopped = false;
  const startWatch = (profile: Watched['profile']): Watched => {
    const watch = new RootWatch(profile.root, {
      onChange: () => debouncer.record(profile.id),
      onGap: (reason) => debouncer.record(profile.id, reason),
      log,
    });
    // What changed while nothing watched (the worker was down, or the profile is new to it) is unseen:
    // a profile synced before is asked for one sync once its watch is up. One never synced waits for
    // its first sync, asked for on purpose.
    void watch
      .ready()
      .then(async () => {
        if (!stopped && watched.get(profile.id)?.watch === watch && (await currentCursor(db, profile.id))) {
          debouncer.record(profile.id, 'it was not running');
        }
      })
      .catch((err: unknown) => log(`folder watch: profile ${profile.name}: ${(err as Error).message}`));
    return { profile, watch };
  };

  const refresh = async () => {
    const local = (await listProfiles(db)).filter((p) => p.provider === LOCAL_PROVIDER);
    const current = new Set(local.map((p) => p.id));
    const closing: Promise<void>[] = [];
    for (const [id, entry] of watched) {
      if (current.has(id)) continue;
      watched.delete(id);
      sender.forget(id);
      closing.push(entry.watch.close());
    }
    for (const p of local) {
      const entry = watched.get(p.id);
      if (entry && entry.profile.root === p.root) {
        entry.profile.name = p.name;
        continue;
      }
      if (entry) closing.push(entry.watch.close());
      watched.set(p.id, startWatch({ id: p.id, name: p.name, root: p.root }));
    }
    await Promise.all(closing);
    await Promise.all([...watched.values()].map((entry) => entry.watch.check()));
  };

  await refresh();

  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> = Promise.resolve();
  const tick = () => {
    refreshing = refresh()
      .catch((err: unknown) => log(`folder watch: reading the profiles: ${(err as Error).message}; keeping the current watches`))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, refreshMs);
      });
  };
  timer = setTimeout(tick, refreshMs);

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    stopped = true;
    clearTimeout(timer);
    await refreshing;
    await Promise.all([...watched.values()].map((entry) => entry.watch.close()));
    // A burst under way is a change seen and not yet asked for: ask now rather than lose it.
    debouncer.flush();
    debouncer.stop();
    await sender.stop();
    watched.clear();
  };

  return {
    stop: () => (stopping ??= stop()),
    roots: () => [...watched.values()].map((entry) => entry.profile.root).sort(),
    ready: async () => {
      await Promise.all([...watched.values()].map((entry) => entry.watch.ready()));
    },
  };
}
