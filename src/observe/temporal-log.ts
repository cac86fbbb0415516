// The Temporal SDK's log lines (the worker's, activities' and workflows' context loggers, and the
// Rust core's, forwarded by the Runtime) written through our log, so they share its format, level
// and stream (stderr) instead of the core printing coloured lines of its own to stdout.
import type { Logger as TemporalLogger, LogLevel as TemporalLevel, LogMetadata } from '@temporalio/common';
import { SYNC_WORKFLOW_TYPE } from '../contract/sync.ts';
import type { Log } from './logger.ts';

const LEVELS: Record<TemporalLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error',
};

/** A line the product already reports better elsewhere: a sync that ends cancelled, timed out or
 * failed ends its workflow as failed, and the job row, its terminal event and the CLI's summary say
 * so (a failing sync logs "sync failed" itself). */
function alreadyReported(message: string, meta: LogMetadata | undefined): boolean {
  return message === 'Workflow failed' && meta?.workflowType === SYNC_WORKFLOW_TYPE;
}

export function temporalLogger(log: Log): TemporalLogger {
  const write = (level: TemporalLevel, message: string, meta?: LogMetadata) => {
    if (alreadyReported(message, meta)) return;
    const method = LEVELS[level] ?? 'info';
    if (!log.isLevelEnabled(method)) return;
    // Symbol keys (the runtime's timestamp) are not fields of a line.
    log[method]({ ...(meta ?? {}) }, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
