// Progress of a running sync on stderr: a redrawn bar on a terminal, a few plain lines elsewhere.
import type { Counters } from '../contract/counters.ts';
import type { SyncPhase } from '../contract/sync.ts';
import { formatDuration, type StatusLine } from './output.ts';

const PHASES: SyncPhase[] = ['queued', 'validate', 'discover', 'filter', 'process', 'resolve', 'complete'];

const LABEL: Record<SyncPhase, string> = {
  queued: 'waiting for a worker',
  validate: 'checking the source',
  discover: 'listing files',
  filter: 'filtering',
  process: 'reading tags',
  resolve: 'resolving renames and duplicates',
  complete: 'finishing',
};

/**
 * What we know so far. Events are replayed from the start of the job and polls race them, so an
 * update never moves the phase backwards or lowers a counter.
 */
export class ProgressState {
  phase: SyncPhase = 'queued';
  counters: Partial<Counters> = {};

  /** Returns whether the phase changed. */
  apply(phase: SyncPhase | undefined, counters: Partial<Counters> | undefined): boolean {
    let changed = false;
    if (phase && PHASES.indexOf(phase) > PHASES.indexOf(this.phase)) {
      this.phase = phase;
      changed = true;
    }
    for (const [key, value] of Object.entries(counters ?? {}) as [keyof Counters, number | undefined][]) {
      if (typeof value === 'number' && value > (this.counters[key] ?? -1)) this.counters[key] = value;
    }
    return changed;
  }
}

export interface ProgressReporter {
  update(phase: SyncPhase | undefined, counters: Partial<Counters> | undefined): void;
  stop(): void;
}

/** The bar's text for a width (pure, so it can be tested without a terminal). */
export function renderProgressLine(state: ProgressState, elapsedMs: number, width: number): string {
  const c = state.counters;
  const elapsed = formatDuration(elapsedMs);
  const label = LABEL[state.phase];
  let line: string;
  if (state.phase === 'process' && (c.itemsQueued ?? 0) > 0) {
    const total = c.itemsQueued ?? 0;
    const done = Math.min(c.itemsProcessed ?? 0, total);
    const ratio = total > 0 ? done / total : 0;
    const numbers = `${done}/${total} ${String(Math.floor(ratio * 100)).padStart(3)}%`;
    const failed = c.itemsFailed ? `  ${c.itemsFailed} failed` : '';
    const fixed = `${label} [] ${numbers}${failed}  ${elapsed}`.length;
    const barWidth = Math.max(10, Math.min(40, width - fixed - 1));
    const filled = Math.round(ratio * barWidth);
    line = `${label} [${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}] ${numbers}${failed}  ${elapsed}`;
  } else if (state.phase === 'discover' || state.phase === 'filter') {
    line = `${label}…  ${c.itemsDiscovered ?? 0} files  ${elapsed}`;
  } else {
    line = `${label}…  ${elapsed}`;
  }
  return line.length >= width ? line.slice(0, Math.max(0, width - 1)) : line;
}

/** Redraws one stderr line in place (a TTY only). */
export class ProgressBar implements ProgressReporter, StatusLine {
  private readonly state = new ProgressState();
  private readonly stream: NodeJS.WriteStream;
  private readonly startedAt = Date.now();
  private readonly timer: NodeJS.Timeout;
  private shown = '';
  private stopped = false;

  constructor(stream: NodeJS.WriteStream) {
    this.stream = stream;
    // Ticks keep the elapsed time moving between events.
    this.timer = setInterval(() => this.redraw(), 250);
    this.timer.unref();
    this.redraw();
  }

  update(phase: SyncPhase | undefined, counters: Partial<Counters> | undefined): void {
    this.state.apply(phase, counters);
    this.redraw();
  }

  redraw(): void {
    if (this.stopped) return;
    const line = renderProgressLine(this.state, Date.now() - this.startedAt, this.stream.columns || 80);
    if (line === this.shown) return;
    this.stream.write(`\r\x1b[2K${line}`);
    this.shown = line;
  }

  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = '';
  }

  stop(): void {
    clearInterval(this.timer);
    this.clear();
    this.stopped = true;
  }
}

/** For logs and pipes: a line per phase, and in the long phase at most one line every few seconds. */
export class ProgressLines implements ProgressReporter {
  private readonly state = new ProgressState();
  private readonly write: (line: string) => void;
  private readonly everyMs: number;
  private lastAt = 0;

  constructor(write: (line: string) => void, everyMs = 5_000) {
    this.write = write;
    this.everyMs = everyMs;
  }

  update(phase: SyncPhase | undefined, counters: Partial<Counters> | undefined): void {
    const phaseChanged = this.state.apply(phase, counters);
    const now = Date.now();
    if (phaseChanged) {
      if (this.state.phase === 'complete' || this.state.phase === 'queued') return;
      this.write(`  ${LABEL[this.state.phase]}…`);
      this.lastAt = now;
    } else if (this.state.phase === 'process' && now - this.lastAt >= this.everyMs) {
      const c = this.state.counters;
      this.write(`  ${LABEL.process}: ${c.itemsProcessed ?? 0}/${c.itemsQueued ?? 0}`);
      this.lastAt = now;
    }
  }

  stop(): void {}
}
