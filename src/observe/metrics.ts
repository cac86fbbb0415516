// The worker's own Prometheus metrics, in a registry of the app's (never prom-client's global one,
// so two apps in one process, as in the tests, count apart). Activities report what their committed
// transactions did through SyncMetrics; nothing here touches Temporal.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/connect.ts';
import { readQueueDepth } from '../db/queue-depth.ts';

/** Why a file failed, in a few words fit for a label (the full reason is on its scan item). */
export type FileFailure = 'unreadable' | 'not_found' | 'forbidden' | 'invalid' | 'not_stored';

/** How a provider request that held its account's slot ended (as the account limiter sees it). */
export type RequestOutcome = 'ok' | 'throttled' | 'failed';

/** What activities report, each figure once: after the transaction that made it committed. */
export interface SyncMetrics {
  /** A job ended (by the call that ended it, never by a repeated one). */
  syncEnded(ending: { outcome: string; provider: string; mode: string; seconds: number | undefined; deleted: number }): void;
  /** A batch's write committed these verdicts. */
  batchCommitted(batch: {
    provider: string; added: number; updated: number; renamed: number; bytesRead: number; failures: readonly FileFailure[];
  }): void;
  /** A provider request gave its slot back. */
  providerRequest(provider: string, outcome: RequestOutcome): void;
}

export interface AppMetrics extends SyncMetrics {
  registry: Registry;
}

/** Sync durations from a few seconds (an unchanged folder) to the 6 h run timeout. */
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 10_800, 21_600];

/** The metrics of one app; `db` answers the queue depth at each scrape. */
export function createMetrics(options: { db: Db }): AppMetrics {
  const registry = new Registry();
  const syncs = new Counter({
    name: 'music_sync_syncs_total', help: 'Sync jobs ended, by final status (completed, failed, cancelled, timed_out, needs_review).',
    labelNames: ['outcome', 'provider', 'mode'] as const, registers: [registry],
  });
  const duration = new Histogram({
    name: 'music_sync_sync_duration_seconds', help: 'Time from a sync job\'s start to its end.',
    labelNames: ['outcome', 'provider', 'mode'] as const, buckets: DURATION_BUCKETS, registers: [registry],
  });
  const tracks = new Counter({
    name: 'music_sync_tracks_total', help: 'Library changes written: tracks added (restored included), updated, renamed or moved, deleted.',
    labelNames: ['change', 'provider'] as const, registers: [registry],
  });
  const failed = new Counter({
    name: 'music_sync_files_failed_total', help: 'Files that failed alone, by reason.',
    labelNames: ['reason', 'provider'] as const, registers: [registry],
  });
  const bytes = new Counter({
    name: 'music_sync_read_bytes_total', help: 'Bytes read from storage for the files processed.',
    labelNames: ['provider'] as const, registers: [registry],
  });
  const requests = new Counter({
    name: 'music_sync_provider_requests_total', help: 'Requests to remote providers, by outcome (throttled: 429, 503 or the provider\'s own rate-limit answer).',
    labelNames: ['provider', 'outcome'] as const, registers: [registry],
  });
  // Both gauges come from one statement per scrape; a database that does not answer makes them NaN
  // (unknown) rather than failing the whole page.
  const depth = shared(() => readQueueDepth(options.db).catch(() => ({ runningJobs: Number.NaN, pendingItems: Number.NaN })));
  new Gauge({
    name: 'music_sync_queue_items', help: 'Items listed by running sync jobs and not processed yet (read from the database at scrape time).',
    registers: [registry],
    async collect() {
      this.set((await depth()).pendingItems);
    },
  });
  new Gauge({
    name: 'music_sync_running_syncs', help: 'Sync jobs running now, on any worker (read from the database at scrape time).',
    registers: [registry],
    async collect() {
      this.set((await depth()).runningJobs);
    },
  });

  return {
    registry,
    syncEnded({ outcome, provider, mode, seconds, deleted }) {
      syncs.inc({ outcome, provider, mode });
      if (seconds !== undefined && seconds >= 0) duration.observe({ outcome, provider, mode }, seconds);
      if (deleted > 0) tracks.inc({ change: 'deleted', provider }, deleted);
    },
    batchCommitted({ provider, added, updated, renamed, bytesRead, failures }) {
      for (const [change, n] of [['added', added], ['updated', updated], ['renamed', renamed]] as const) {
        if (n > 0) tracks.inc({ change, provider }, n);
      }
      for (const reason of failures) failed.inc({ reason, provider });
      if (bytesRead > 0) bytes.inc({ provider }, bytesRead);
    },
    providerRequest(provider, outcome) {
      requests.inc({ provider, outcome });
    },
  };
}

/** `read`, shared by the calls made while it runs (the gauges of one scrape collect together). */
function shared<T>(read: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => {
    running ??= read().finally(() => {
      running = undefined;
    });
    return running;
  };
}
