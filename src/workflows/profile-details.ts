import type { ProfileState } from '../contract/actor.ts';

/** The actor's state in a few lines, for the Web UI's current details (Markdown). */
export function describeState(state: ProfileState): string {
  const lines: string[] = [`**${state.status.replace('_', ' ')}**`];
  if (state.current) lines.push(`syncing: job ${state.current.jobId} (${state.current.mode}, asked by ${state.current.source})`);
  if (state.paused) lines.push(`paused by ${state.paused.by}${state.paused.reason ? `: ${state.paused.reason}` : ''}`);
  if (state.backoffUntil !== undefined && state.status === 'backing_off') {
    lines.push(`after ${state.failures} failed sync${state.failures === 1 ? '' : 's'}, automatic requests wait until ${new Date(state.backoffUntil).toISOString()}`);
  }
  if (state.pending) lines.push(`pending: ${state.pending.mode} (${state.pending.requests} request${state.pending.requests === 1 ? '' : 's'} from ${state.pending.sources.join(', ')})`);
  if (state.last) lines.push(`last: job ${state.last.jobId} ${state.last.status}${state.last.error ? `: ${state.last.error}` : ''}`);
  if (state.schedule) {
    lines.push(`schedule: ${state.schedule.description}${state.schedule.paused ? ' (paused)' : ''}${state.schedule.nextRunAt ? `, next ${new Date(state.schedule.nextRunAt).toISOString()}` : ''}`);
  }
  return lines.join('\n\n');
}
