// Everything the CLI prints. Results go to stdout (one JSON value with --json, JSON lines with
// --ndjson); logs, notes and progress go to stderr so that `--json | jq` always sees clean JSON.
import { once } from 'node:events';
import type { SyncJob, Track } from '../client/types.ts';
import { isTerminal } from '../contract/sync.ts';
import { safeText } from './safe-text.ts';

/** Something drawn on the last stderr line that has to step aside when a log line is printed. */
export interface StatusLine {
  clear(): void;
  redraw(): void;
}

export class Output {
  readonly json: boolean;
  private statusLine: StatusLine | undefined;

  constructor(options: { json: boolean }) {
    this.json = options.json;
  }

  /** A human-readable line on stdout (commands print it only without --json); control characters in
   * it are shown escaped. */
  print(line = ''): void {
    process.stdout.write(`${safeText(line)}\n`);
  }

  /** The one JSON value of a --json run; resolves once it is handed to the OS, so exiting right after loses nothing. */
  writeJson(value: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      process.stdout.write(`${JSON.stringify(value, null, 2)}\n`, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Raw text on stdout, waiting while the reader is behind: a long list is held back by a slow
   * reader instead of piling up in memory. */
  async write(text: string): Promise<void> {
    if (!process.stdout.write(text)) await once(process.stdout, 'drain');
  }

  /** A log line on stderr, left out with --json (stdout carries the result, stderr stays quiet). */
  info(line: string): void {
    if (!this.json) this.stderr(line);
  }

  /** Notes and warnings on stderr, also with --json. */
  warn(line: string): void {
    this.stderr(line);
  }

  setStatusLine(statusLine: StatusLine | undefined): void {
    this.statusLine = statusLine;
  }

  private stderr(line: string): void {
    this.statusLine?.clear();
    process.stderr.write(`${safeText(line)}\n`);
    this.statusLine?.redraw();
  }
}

// ---- formatting ----

export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString();
  } catch {
    return url.replace(/(password=)\S+/i, '$1****');
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSecs = Math.round(ms / 1000);
  const h = Math.floor(totalSecs / 3600);
  const m = Math.floor((totalSecs % 3600) / 60);
  const s = totalSecs % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(s).padStart(2, '0')} s`;
}

export function formatDate(date: Date | null): string {
  if (!date) return '-';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Left-aligned columns; the last column is not padded (long paths do not push trailing spaces).
 * `maxWidth` caps the other columns so one long title does not push the rest off the screen. */
export function table(headers: string[], rows: string[][], maxWidth = 40): string[] {
  const cap = (c: string) => (c.length > maxWidth ? `${c.slice(0, maxWidth - 1)}…` : c);
  rows = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : cap(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** The wall time of a job: started (or created) to finished (or now, while it runs). */
export function jobElapsedMs(job: SyncJob, now = new Date()): number {
  const from = job.startedAt ?? job.createdAt;
  return (job.finishedAt ?? now).getTime() - from.getTime();
}


export interface SummaryInput {
  title: string;
  job: SyncJob;
  /** Set when the workflow ended with an error the job row does not explain (e.g. a hard run timeout). */
  endError?: string;
  failed?: { path: string; reason: string }[];
  duplicates?: string[][];
  /** The files the job read and their size, shown beside the bytes read. */
  readCost?: { filesRead: number; fileBytes: number };
  /** Wall time of the whole command (start-up included), shown next to the job's own time. */
  totalMs?: number;
  maxListed?: number;
}

/** "for 40.1 MiB in 211 files (3%)": the bytes read against the size of the files read. */
function readCostText(cost: SummaryInput['readCost'], bytesRead: number): string {
  if (!cost || cost.filesRead === 0) return '';
  const share = cost.fileBytes > 0 ? ` (${((bytesRead / cost.fileBytes) * 100).toFixed(bytesRead < cost.fileBytes / 10 ? 1 : 0)}%)` : '';
  return ` for ${formatBytes(cost.fileBytes)} in ${cost.filesRead} file${cost.filesRead === 1 ? '' : 's'} read${share}`;
}

/** The readable report of one job: counts, then failed files and duplicate groups, then warnings. */
export function jobSummary(input: SummaryInput): string[] {
  const { job } = input;
  const maxListed = input.maxListed ?? 20;
  const took = isTerminal(job.status)
    ? ` in ${formatDuration(jobElapsedMs(job))}${input.totalMs !== undefined ? ` (${formatDuration(input.totalMs)} with start-up)` : ''}`
    : ` (${job.phase}, for ${formatDuration(jobElapsedMs(job))} so far)`;
  // An incremental sync does not read unchanged files again, so files that failed before are in the
  // failed list without being counted as this job's failures.
  const stillFailing = Math.max(0, (input.failed?.length ?? 0) - job.itemsFailed);
  const lines = [
    `${input.title}: ${job.status.replace('_', ' ')}${took}`,
    `  job         ${job.id} (${job.mode} sync)`,
    audioCounted(job)
      ? `  files       ${job.itemsDiscovered} discovered, ${job.itemsQueued} audio, ${job.itemsFiltered} filtered out`
      : `  files       ${job.itemsDiscovered} discovered${isTerminal(job.status) ? '' : ' so far'}; audio not counted ${isTerminal(job.status) ? '(the job ended before its filter ran)' : 'yet (the filter runs after the listing)'}`,
    `  library     ${job.itemsAdded} added, ${job.itemsUpdated} updated, ${job.itemsRenamed} renamed, ` +
      `${job.itemsUnchanged} unchanged, ${job.itemsFailed} failed${stillFailing ? ` (+${stillFailing} unchanged, still unreadable)` : ''}, ` +
      `${job.itemsDeleted} deleted`,
    `  duplicates  ${job.duplicateGroups} group${job.duplicateGroups === 1 ? '' : 's'}`,
    `  read        ${formatBytes(job.bytesRead)}${readCostText(input.readCost, job.bytesRead)}`,
  ];
  const error = job.error ?? input.endError;
  if (error) lines.push(`  error       ${error}${job.errorKind ? ` (${job.errorKind})` : ''}`);

  if (input.failed && input.failed.length > 0) {
    lines.push('', `Failed files (${input.failed.length}):`);
    for (const f of input.failed.slice(0, maxListed)) lines.push(`  ${f.path}: ${f.reason}`);
    if (input.failed.length > maxListed) lines.push(`  ... and ${input.failed.length - maxListed} more`);
  }
  if (input.duplicates && input.duplicates.length > 0) {
    lines.push('', `Duplicate groups (${input.duplicates.length}), same content under several paths:`);
    const perGroup = 5;
    input.duplicates.slice(0, maxListed).forEach((paths, i) => {
      paths.slice(0, perGroup).forEach((p, j) => lines.push(`  ${j === 0 ? `${String(i + 1).padStart(2)}.` : '   '} ${p}`));
      if (paths.length > perGroup) lines.push(`      ... and ${paths.length - perGroup} more copies`);
    });
    if (input.duplicates.length > maxListed) lines.push(`  ... and ${input.duplicates.length - maxListed} more groups`);
  }
  if (job.needsReview) {
    lines.push('', `Needs review: ${job.needsReview}`);
  }
  return lines;
}

/** Whether the job's filter has counted its audio files: not while it lists (`6000 discovered, 0
 * audio` would be wrong), nor for a job that ended before its filter ran (nothing discovered was
 * sorted into audio or filtered out). */
export function audioCounted(job: SyncJob): boolean {
  if (job.phase === 'process' || job.phase === 'resolve') return true;
  if (job.phase !== 'complete') return false;
  return job.itemsDiscovered === 0 || job.itemsQueued + job.itemsFiltered > 0;
}

/** 17950 as "17,950". */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The track in --json output: the client's Track without the provider's file id and the file's
 * modification time; `deletedAt` only on a tombstone (`tracks --status deleted|all`). */
export function trackJson(t: Track) {
  const { fileId: _fileId, modifiedAt: _modifiedAt, deletedAt, ...json } = t;
  return deletedAt ? { ...json, deletedAt } : json;
}

/** One line for errors: a message spread over lines (e.g. a child's stderr) is folded. */
export function oneLine(text: string, max = 500): string {
  const folded = text.replace(/\s*\n\s*/g, ' ').trim();
  return folded.length > max ? `${folded.slice(0, max - 1)}…` : folded;
}
