// How another service connects to music-sync: its library database and its Temporal server, both
// already running (a worker syncs; this side only asks and reads). Nothing is started here, and the
// schema is checked, never changed.
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { SyncConfig } from '../contract/config.ts';
import { createDb } from '../db/connect.ts';
import { defaultProviders } from '../providers/registry.ts';
import { SecretBox, SecretKeyError } from '../secrets/secret-box.ts';
import { InvalidInputError } from './errors.ts';
import { requireSchema } from './require-schema.ts';
import { SyncClient } from './sync-client.ts';

export interface ConnectSyncClientOptions {
  /** The Temporal frontend the workers poll, e.g. `127.0.0.1:7233`. */
  temporalAddress: string;
  /** Default: `default`. */
  namespace?: string;
  /** The library database (its schema set up by a worker or `music-sync migrate`). */
  databaseUrl: string;
  /** More of the Temporal connection: `tls`, `apiKey`, `metadata`… */
  temporalConnection?: Omit<ConnectionOptions, 'address'>;
  /** The workers' task queue, when they were given another one. */
  taskQueue?: string;
  /** MUSIC_SYNC_SECRET_KEY's text: needed only to register or update a profile with credentials. */
  secretKey?: string;
  /** Overrides of the defaults for every sync this client starts. */
  config?: Partial<SyncConfig>;
  /** Set the MusicSync* search attributes on the actors it starts (default true; workers register
   * them on the server when they start). */
  searchAttributes?: boolean;
  /** The database pool's size (default 4: a client makes short queries, and `watch` has its own
   * connection). */
  maxConnections?: number;
}

/** A SyncClient that owns its connections: `close` ends the Temporal connection and the pool. */
export class ConnectedSyncClient extends SyncClient {
  readonly #close: () => Promise<void>;

  constructor(options: ConstructorParameters<typeof SyncClient>[0], close: () => Promise<void>) {
    super(options);
    this.#close = close;
  }

  close(): Promise<void> {
    return this.#close();
  }
}

/**
 * Connects to a running music-sync: checks the database's schema (SchemaNotReadyError when a worker
 * or `music-sync migrate` has not set it up), connects to Temporal, and answers a client whose `close`
 * closes both. A malformed `secretKey` is InvalidInputError, before anything is opened.
 */
export async function connectSyncClient(options: ConnectSyncClientOptions): Promise<ConnectedSyncClient> {
  let secretBox: SecretBox | undefined;
  try {
    secretBox = options.secretKey === undefined ? undefined : SecretBox.fromKeyText(options.secretKey);
  } catch (err) {
    if (err instanceof SecretKeyError) throw new InvalidInputError(err.message);
    throw err;
  }
  const db = createDb(options.databaseUrl, options.maxConnections ?? 4);
  let connection: Connection | undefined;
  try {
    await requireSchema(db);
    connection = await Connection.connect({ ...options.temporalConnection, address: options.temporalAddress });
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const temporal = new Client({ connection, namespace: options.namespace ?? 'default' });
  const opened = connection;
  let closing: Promise<void> | undefined;
  const close = () => {
    // Both are closed even if one fails; a second call waits for the first.
    closing ??= Promise.allSettled([opened.close(), db.destroy()]).then((results) => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    });
    return closing;
  };
  return new ConnectedSyncClient({
    temporal, db, databaseUrl: options.databaseUrl, providers: defaultProviders(), secretBox,
    ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
    ...(options.config ? { config: options.config } : {}),
    ...(options.searchAttributes === false ? { searchAttributes: false } : {}),
  }, close);
}
