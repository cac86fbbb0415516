// A SyncRequestSink that records what it is asked (and can be made to fail or to be slow), and a log
// that keeps its lines: what the push tests look at.
import type { SyncRequest, SyncRequestSink } from '../../src/contract/actor.ts';

export interface RecordingSink {
  sink: SyncRequestSink;
  requests: { profile: { id: string; name: string }; request: SyncRequest }[];
  /** Names of the profiles asked for, in order. */
  names(): string[];
  /** From now on the sink throws this, or waits this long before it answers. */
  failWith: Error | undefined;
  delayMs: number;
  clear(): void;
}

export function recordingSink(): RecordingSink {
  const recording: RecordingSink = {
    requests: [],
    failWith: undefined,
    delayMs: 0,
    sink: async (profile, request) => {
      if (recording.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, recording.delayMs));
      if (recording.failWith) throw recording.failWith;
      recording.requests.push({ profile, request });
    },
    names: () => recording.requests.map((r) => r.profile.name),
    clear() {
      recording.requests.length = 0;
    },
  };
  return recording;
}

export function keptLog(): { log: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { log: (line) => void lines.push(line), lines };
}
