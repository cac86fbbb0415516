// Providers' change notifications as sync requests: the endpoint they arrive at and the channels
// that make them arrive, started together (by `music-sync serve`, or inside another long-running
// command).
import type { Settings } from '../app/settings.ts';
import type { SyncRequestSink } from '../contract/actor.ts';
import type { Db } from '../db/connect.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { startPushServer } from './server.ts';
import { keepSubscribed } from './subscriptions.ts';

export { startPushServer, PUSH_PATHS, type PushServer, type PushServerOptions } from './server.ts';
export { keepSubscribed, type KeepSubscribedOptions, type Subscriptions } from './subscriptions.ts';

export interface PushServiceOptions {
  db: Db;
  /** Where the requests go: `actorRequests(client)` in the product. */
  sink: SyncRequestSink;
  settings: Pick<Settings, 'push' | 'cloud'>;
  /** Opens the profiles' credentials for the providers' subscription calls. */
  secretBox: SecretBox | undefined;
  log?: (line: string) => void;
}

export interface PushService {
  /** Where the endpoint listens (`http://host:port`). */
  url: string;
  /** Whether Drive channels and Graph subscriptions are kept (a public URL is set). */
  subscribing: boolean;
  stop(): Promise<void>;
}

/** The endpoint on `settings.push.listen`, then the subscriptions: Graph checks the endpoint before it
 * makes one, so it must answer first. Dropbox accounts are recorded even without a public URL (the
 * app's webhook is set in the Dropbox App Console, not here). */
export async function startPushService(options: PushServiceOptions): Promise<PushService> {
  const { db, sink, settings, secretBox, log } = options;
  const server = await startPushServer({
    db, sink, host: settings.push.listen.host, port: settings.push.listen.port, dropboxAppSecret: settings.cloud.dropbox.clientSecret, log,
  });
  let subscriptions;
  try {
    subscriptions = keepSubscribed({ db, secretBox, publicUrl: settings.push.publicUrl, log });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    url: server.url,
    subscribing: settings.push.publicUrl !== undefined,
    async stop() {
      await subscriptions.stop();
      await server.stop();
    },
  };
}
