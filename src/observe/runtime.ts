// The Temporal Runtime (one per process, installed before the first worker): its log lines, the Rust
// core's included, go through our log; its own metrics are exported for our metrics listener.
//
// The SDK's metrics are served by its own Prometheus exporter, bound to a private port on 127.0.0.1,
// and our `/metrics` appends that exporter's page to ours. The exporter is the SDK's supported way
// out for its metrics (names, kinds, buckets as the SDK documents them); the alternative, draining
// its experimental metrics buffer into prom-client, would rebuild each histogram and counter by hand
// and break when that API changes. Only one address is then public, ours, with its health check.
import { Runtime } from '@temporalio/worker';
import type { LogLevel } from '../app/settings.ts';
import { freePort } from '../stack/ports.ts';
import type { Log } from './logger.ts';
import { temporalLogger } from './temporal-log.ts';

const CORE_LEVEL = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' } as const;

let installed: { sdkMetricsUrl: string | undefined } | undefined;

export interface RuntimeInstall {
  /** Where the SDK's Prometheus exporter answers (`http://127.0.0.1:<port>/metrics`), when it runs. */
  sdkMetricsUrl: string | undefined;
  /** Why it does not, when it was asked for and could not start. */
  sdkMetricsError?: string;
}

/**
 * Installs the Runtime once per process (later calls answer what the first did). `level` filters the
 * core's lines before they cross into JavaScript. The Runtime's own shutdown on SIGINT is off: the
 * CLI stops its workers itself.
 */
export async function installRuntime(options: { log: Log; level: LogLevel; metrics: boolean }): Promise<RuntimeInstall> {
  if (installed) return installed;
  const logger = temporalLogger(options.log);
  const logging = { filter: { core: CORE_LEVEL[options.level], other: 'ERROR' as const }, forward: {} };
  let sdkMetricsError: string | undefined;
  if (options.metrics) {
    const port = await freePort();
    try {
      Runtime.install({
        logger, shutdownSignals: [],
        telemetryOptions: {
          logging,
          // Prometheus's conventions: counters end in _total, durations are in seconds with the unit in the name.
          metrics: { prometheus: { bindAddress: `127.0.0.1:${port}`, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } },
        },
      });
      installed = { sdkMetricsUrl: `http://127.0.0.1:${port}/metrics` };
      return installed;
    } catch (err) {
      // The port was taken between our look and the SDK's bind: the worker runs without SDK metrics.
      sdkMetricsError = `Temporal SDK metrics off: ${(err as Error).message}`;
    }
  }
  Runtime.install({ logger, shutdownSignals: [], telemetryOptions: { logging } });
  installed = { sdkMetricsUrl: undefined };
  return { ...installed, ...(sdkMetricsError ? { sdkMetricsError } : {}) };
}

/** Where the installed Runtime's metrics exporter answers, if it has one. */
export function sdkMetricsUrl(): string | undefined {
  return installed?.sdkMetricsUrl;
}
