// The product's log: always on stderr (stdout carries results, `--json` included), as one JSON object
// per line for log collectors (MUSIC_SYNC_LOG=json) or as short readable lines, coloured only on a
// terminal. Both are written synchronously: a log line never outlives a process that exits right
// after it, and no worker thread is started for them.
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogSettings } from '../app/settings.ts';

export type Log = PinoLogger;

export interface LogOptions extends LogSettings {
  /** Where lines go (stderr unless a test says otherwise). */
  destination?: DestinationStream;
  /** Colour in the readable format (default: whether stderr is a terminal). */
  colour?: boolean;
}

/** Fields that make a line long and help no reader: the runtime's own bookkeeping and the task token
 * (an opaque key to the task, of no use to a person and not for anyone else's eyes). */
const NOISE = ['pid', 'hostname', 'taskToken', 'sdkComponent', 'target', 'spanContexts'];
/** Left out of readable lines unless debugging: the SDK's run bookkeeping, and an error's stack (its
 * message is kept on the line). The workflow id, activity type, attempt, job and profile stay. */
const DETAIL = ['namespace', 'taskQueue', 'workflowRunId', 'runId', 'activityId', 'isLocal', 'workflowType', 'error', 'err'];

export function createLog(options: LogOptions): Log {
  const common = {
    level: options.level,
    messageKey: 'message',
    // Errors under the names the Temporal SDK and we give them, with their stack and cause.
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    redact: { paths: ['taskToken'], remove: true },
  };
  if (options.format === 'json') {
    return pino(
      {
        ...common,
        base: { pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      options.destination ?? pino.destination({ fd: 2, sync: true }),
    );
  }
  const debugging = options.level === 'debug' || options.level === 'trace';
  const pretty = pinoPretty({
    destination: options.destination ?? 2,
    sync: true,
    colorize: options.colour ?? process.stderr.isTTY === true,
    messageKey: 'message',
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: (debugging ? NOISE : [...NOISE, ...DETAIL]).join(','),
    ...(debugging ? {} : { messageFormat: withErrorMessage }),
  });
  return pino({ ...common, base: undefined }, pretty);
}

/** `message: the error's message`, on one line. */
function withErrorMessage(line: Record<string, unknown>, messageKey: string): string {
  const error = (line.error ?? line.err) as { message?: unknown } | undefined;
  const detail = typeof error?.message === 'string' ? `: ${error.message.replace(/\s+/g, ' ').slice(0, 300)}` : '';
  return `${String(line[messageKey] ?? '')}${detail}`;
}
