// Run by folder-watcher.test.ts in its own process: starts the folder watcher on the database at
// argv[2], makes one change in the folder at argv[3], stops the watcher and closes the database. The
// process must then end by itself: anything left running by the watcher would keep it alive.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SyncRequest } from '../../src/contract/actor.ts';
import { createDb } from '../../src/db/connect.ts';
import { startFolderWatcher } from '../../src/watch/folder-watcher.ts';

const [url, root] = process.argv.slice(2) as [string, string];
const db = createDb(url);
const requests: SyncRequest[] = [];
const watcher = await startFolderWatcher({ db, sink: async (_profile, request) => void requests.push(request), quietMs: 5_000, maxWaitMs: 60_000 });
await watcher.ready();
await writeFile(path.join(root, 'pending.mp3'), 'audio');
// Far less than the quiet period: the change is seen and its burst is still under way at stop.
await sleep(1_000);
await watcher.stop();
await db.destroy();
process.stdout.write(JSON.stringify({ requests, roots: watcher.roots() }));
