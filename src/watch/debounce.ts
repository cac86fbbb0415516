// Per-key debouncing of change events: a burst of events for a key becomes one call, once the key has
// been quiet for `quietMs`, or `maxWaitMs` after the burst's first event when the events never stop
// (a long copy still gets its sync while it runs). Pure timing: it knows nothing of folders.

/** What a burst gathered. */
export interface Burst {
  /** Events recorded in the burst. */
  events: number;
  /** The first problem recorded in the burst (a watch that failed or lost events), if any: the cause
   * says more than what followed it. */
  error?: string;
  /** performance.now() of the burst's first event. */
  startedAt: number;
}

export interface DebouncerOptions<K> {
  quietMs: number;
  maxWaitMs: number;
  /** Called once per burst. It must not throw; a throw is the caller's bug and would escape a timer. */
  onBurst: (key: K, burst: Burst) => void;
}

export interface Debouncer<K> {
  /** One event for `key`; with `error` when the event is a problem rather than a change. */
  record(key: K, error?: string): void;
  /** Keys with a burst under way. */
  pending(): number;
  /** Ends every burst under way now, calling `onBurst` for each. */
  flush(): void;
  /** Drops every burst under way without calling `onBurst`, and clears every timer. */
  stop(): void;
}

interface Open {
  burst: Burst;
  lastAt: number;
  quietTimer: NodeJS.Timeout;
  maxTimer: NodeJS.Timeout;
}

export function createDebouncer<K>(options: DebouncerOptions<K>): Debouncer<K> {
  const { quietMs, maxWaitMs, onBurst } = options;
  checkDelay('quietMs', quietMs);
  checkDelay('maxWaitMs', maxWaitMs);
  const open = new Map<K, Open>();
  let stopped = false;

  const fire = (key: K) => {
    const entry = open.get(key);
    if (!entry) return;
    clearTimeout(entry.quietTimer);
    clearTimeout(entry.maxTimer);
    open.delete(key);
    onBurst(key, entry.burst);
  };

  // One quiet timer per burst, not one per event: when it comes due it re-arms itself for what is
  // left of the quiet period after the latest event, so a burst of thousands costs a few timers.
  const quietCheck = (key: K) => {
    const entry = open.get(key);
    if (!entry) return;
    const left = quietMs - (performance.now() - entry.lastAt);
    if (left > 0) entry.quietTimer = setTimeout(quietCheck, Math.ceil(left), key);
    else fire(key);
  };

  return {
    record(key, error) {
      if (stopped) return;
      const now = performance.now();
      const entry = open.get(key);
      if (entry) {
        entry.burst.events += 1;
        if (error !== undefined) entry.burst.error ??= error;
        entry.lastAt = now;
        return;
      }
      open.set(key, {
        burst: { events: 1, startedAt: now, ...(error !== undefined ? { error } : {}) },
        lastAt: now,
        quietTimer: setTimeout(quietCheck, quietMs, key),
        maxTimer: setTimeout(fire, maxWaitMs, key),
      });
    },
    pending: () => open.size,
    flush() {
      for (const key of [...open.keys()]) fire(key);
    },
    stop() {
      stopped = true;
      for (const entry of open.values()) {
        clearTimeout(entry.quietTimer);
        clearTimeout(entry.maxTimer);
      }
      open.clear();
    },
  };
}

function checkDelay(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a number of milliseconds, 0 or more (got ${value})`);
}
