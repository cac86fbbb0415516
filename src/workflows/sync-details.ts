// What the Web UI shows of a sync while it runs and once it ended: its current details (Markdown, the
// answer of the workflow metadata query) and each activity's summary. Pure, so workflow code and tests
// share it.
import type { Counters } from '../contract/counters.ts';
import type { CancelRequest, JobStatus, SyncMode, SyncPhase } from '../contract/sync.ts';

export interface SyncView {
  phase: SyncPhase;
  status: JobStatus;
  counters: Counters;
  /** Who stopped a cancelled sync, and why. */
  cancel?: CancelRequest;
}

/** `1,234`: counts as a person reads them, whatever the host's locale. */
export function formatCount(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `812 MiB`, `1.5 GiB`, `0 B`: one decimal below 10 of a unit, none above. */
export function formatBytes(n: number): string {
  let value = Math.max(0, n);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 || value >= 10 ? formatCount(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${UNITS[unit]}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** The sync's current details: its phase or ending in bold, then how far it got, e.g.
 * `**process** — 1,234 of 6,900 files, 812 MiB read`. */
export function describeSync(view: SyncView): string {
  const c = view.counters;
  const progress = c.itemsQueued > 0 || c.itemsProcessed > 0
    ? `${formatCount(c.itemsProcessed)} of ${plural(c.itemsQueued, 'file')}, ${formatBytes(c.bytesRead)} read`
    : c.itemsDiscovered > 0
      ? `${plural(c.itemsDiscovered, 'file')} listed`
      : undefined;
  const head = view.status === 'running' || view.status === 'queued' ? view.phase : view.status.replace('_', ' ');
  const lines = [progress ? `**${head}** — ${progress}` : `**${head}**`];
  if (view.status === 'cancelled' && view.cancel) {
    lines.push(`cancelled by ${view.cancel.by ?? 'unknown'}${view.cancel.reason ? `: ${view.cancel.reason}` : ''}`);
  }
  const outcomes = [
    c.itemsAdded && `${formatCount(c.itemsAdded)} added`, c.itemsUpdated && `${formatCount(c.itemsUpdated)} updated`,
    c.itemsRenamed && `${formatCount(c.itemsRenamed)} renamed`, c.itemsUnchanged && `${formatCount(c.itemsUnchanged)} unchanged`,
    c.itemsFailed && `${formatCount(c.itemsFailed)} failed`, c.itemsDeleted && `${formatCount(c.itemsDeleted)} deleted`,
  ].filter(Boolean);
  if (outcomes.length > 0) lines.push(outcomes.join(', '));
  return lines.join('\n\n');
}

/** Activity summaries, one line each. */
export const summaries = {
  discover: (mode: SyncMode) => `discover (${mode})`,
  filter: (mode: SyncMode, discovered: number) => `filter (${mode}): ${plural(discovered, 'file')} listed`,
  /** `batch 3 (slot 1 of 2), up to 200 files`; without parallel loops, `batch 3, up to 200 files`. */
  batch: (batch: number, slot: number, slots: number, batchSize: number) =>
    `batch ${formatCount(batch)}${slots > 1 ? ` (slot ${slot + 1} of ${slots})` : ''}, up to ${plural(batchSize, 'file')}`,
  resolve: (confirmDeletions: boolean | undefined) =>
    `resolve: deletions${confirmDeletions ? ' (confirmed)' : ''} and duplicate groups`,
  complete: (ending: JobStatus, cancel?: CancelRequest) =>
    `complete: ${ending.replace('_', ' ')}${ending === 'cancelled' && cancel?.by ? ` by ${cancel.by}` : ''}`,
};
