// The watch of one music folder, kept alive: chokidar watches the folder's real path recursively;
// when the watch breaks (a watcher error such as the inotify limit, the folder removed or replaced by
// another), what changed meanwhile cannot be known, so the break is reported as a gap (the caller
// asks for a sync) and the folder is watched again, with a growing delay, once it exists. Coming back
// is a gap too: changes made while nothing watched are unseen.
import { stat, realpath } from 'node:fs/promises';
import { watch, type FSWatcher } from 'chokidar';

export interface RootWatchHandlers {
  /** Something under the folder was created, changed, renamed or deleted. */
  onChange(): void;
  /** The watch broke, or came back after breaking or waiting for the folder: a sync must catch up. */
  onGap(reason: string): void;
  log(line: string): void;
}

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 60_000;

/** The folder as it was when watched: another folder put at its path is another identity. */
interface Identity {
  path: string;
  dev: number;
  ino: number;
}

export class RootWatch {
  readonly root: string;
  readonly #handlers: RootWatchHandlers;
  #watcher: FSWatcher | undefined;
  #identity: Identity | undefined;
  /** Ends the wait for the current watcher's initial scan (it never comes when the watch breaks first). */
  #endScan: (() => void) | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retries = 0;
  /** performance.now() when the current watch became ready. */
  #readyAt = 0;
  /** Set when the folder was not there or the watch broke: the next watch that starts reports a gap. */
  #interrupted = false;
  #closed = false;
  readonly #closing = new Set<Promise<void>>();
  readonly #firstAttempt: Promise<void>;

  constructor(root: string, handlers: RootWatchHandlers) {
    this.root = root;
    this.#handlers = handlers;
    this.#firstAttempt = this.#attempt();
  }

  /** Resolves once the first attempt is over: the folder is watched, or is awaited because it is not there. */
  ready(): Promise<void> {
    return this.#firstAttempt;
  }

  watching(): boolean {
    return this.#watcher !== undefined;
  }

  /** Breaks the watch when the folder at the root's path is no longer the one watched (removed, or
   * replaced in a way the events did not show, such as a symlink pointed elsewhere). */
  async check(): Promise<void> {
    const watcher = this.#watcher;
    const was = this.#identity;
    if (!watcher || !was) return;
    const now = await identify(this.root).catch(() => undefined);
    if (this.#watcher !== watcher) return;
    if (!now) this.#break('the folder was removed');
    else if (now.path !== was.path || now.dev !== was.dev || now.ino !== was.ino) this.#break('the folder was replaced');
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#drop();
    await this.#firstAttempt;
    await Promise.all(this.#closing);
  }

  async #start(): Promise<void> {
    if (this.#closed) return;
    let identity: Identity;
    try {
      identity = await identify(this.root);
    } catch (err) {
      if (!this.#interrupted) this.#handlers.log(`folder watch: ${this.root}: ${describe(err)}; watching for it to come back`);
      this.#interrupted = true;
      this.#retryLater();
      return;
    }
    if (this.#closed) return;
    const watcher = watch(identity.path, {
      ignoreInitial: true,
      // A symlinked folder is not part of the library (the local listing does not follow it either),
      // and following one could leave the root.
      followSymlinks: false,
      // An unreadable folder cannot be synced either; the sync reports it, file by file. As an error
      // here it would break and restart the watch forever.
      ignorePermissionErrors: true,
    });
    this.#watcher = watcher;
    this.#identity = identity;
    watcher.on('all', (event, path) => {
      if (this.#watcher !== watcher) return;
      if (event === 'unlinkDir' && path === identity.path) this.#break('the folder was removed');
      else this.#handlers.onChange();
    });
    watcher.on('error', (err) => {
      if (this.#watcher === watcher) this.#break(describe(err));
    });
    await new Promise<void>((resolve) => {
      this.#endScan = resolve;
      watcher.once('ready', resolve);
    });
    this.#endScan = undefined;
    if (this.#watcher !== watcher) return;
    this.#readyAt = performance.now();
    if (this.#interrupted) {
      this.#interrupted = false;
      this.#handlers.log(`folder watch: ${this.root}: watching again`);
      this.#handlers.onGap('watching again');
    }
    // The folder may have gone while the scan ran, where no event would tell.
    await this.check();
  }

  #break(reason: string): void {
    if (this.#closed || !this.#watcher) return;
    // The delay starts over only after a watch that lasted; one that breaks again soon after it is set
    // up (a lasting cause) is retried ever more slowly, each retry a sync.
    if (this.#readyAt > 0 && performance.now() - this.#readyAt > RETRY_MAX_MS) this.#retries = 0;
    this.#drop();
    this.#interrupted = true;
    this.#handlers.log(`folder watch: ${this.root}: ${reason}; a sync will catch up, and the folder is watched again when possible`);
    this.#handlers.onGap(reason);
    this.#retryLater();
  }

  #drop(): void {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    this.#identity = undefined;
    this.#endScan?.();
    if (!watcher) return;
    const closing = watcher.close().catch((err: unknown) => this.#handlers.log(`folder watch: ${this.root}: closing the watch: ${describe(err)}`));
    this.#closing.add(closing);
    void closing.finally(() => this.#closing.delete(closing));
  }

  #retryLater(): void {
    if (this.#closed || this.#retryTimer) return;
    const waitMs = Math.min(RETRY_FIRST_MS * 2 ** this.#retries, RETRY_MAX_MS);
    this.#retries += 1;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#attempt();
    }, waitMs);
  }

  /** One try at watching; whatever goes wrong becomes a later try, never a rejection. */
  async #attempt(): Promise<void> {
    try {
      await this.#start();
    } catch (err) {
      if (this.#closed) return;
      this.#drop();
      this.#handlers.log(`folder watch: ${this.root}: ${describe(err)}; trying again later`);
      this.#interrupted = true;
      this.#retryLater();
    }
  }
}

/** The folder's real path and identity; fails when the path is missing or is not a folder. */
async function identify(root: string): Promise<Identity> {
  const path = await realpath(root);
  const stats = await stat(path);
  if (!stats.isDirectory()) throw new Error('not a folder');
  return { path, dev: stats.dev, ino: stats.ino };
}

function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n', 1)[0]!;
}
