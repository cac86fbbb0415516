// Other processes by pid: whether one still runs (and is the same one, not a later process that got
// its pid), what it runs, and stopping it. Used for the services a music-sync that died left behind.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** When the process started, as an opaque string: with the pid, it names one process for good (pids are
 * reused). Linux: the start time in clock ticks since boot; elsewhere what `ps` says. */
export function processStart(pid: number): string | undefined {
  const stat = procStat(pid);
  if (stat) return stat[19];
  const ps = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' });
  return ps.status === 0 ? ps.stdout.trim() || undefined : undefined;
}

/** The process runs (a zombie does not count), and it is the one that started at `start` when given. */
export function isRunning(pid: number, start?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  if (stat?.[0] === 'Z') return false;
  return start === undefined || processStart(pid) === start;
}

/** The program and arguments the process runs, joined by spaces ('' when unknown). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    const ps = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return ps.status === 0 ? ps.stdout.trim() : '';
  }
}

/**
 * Sends each signal in turn, waiting up to `graceMs` after each for the process to end; the last one
 * should be SIGKILL. `group`: the process leads its own process group, and the whole group is
 * signalled. Resolves true once it is gone, false if it outlived every signal.
 */
export async function stopProcess(
  pid: number,
  options: { start?: string; signals: NodeJS.Signals[]; graceMs: number; group?: boolean },
): Promise<boolean> {
  for (const signal of options.signals) {
    if (!isRunning(pid, options.start)) return true;
    signalProcess(pid, signal, options.group === true);
    const until = Date.now() + options.graceMs;
    while (Date.now() < until) {
      if (!isRunning(pid, options.start)) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return !isRunning(pid, options.start);
}

function signalProcess(pid: number, signal: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    // No such group (it does not lead one after all): the process alone. Or it ended meanwhile.
    if (group) signalProcess(pid, signal, false);
  }
}

/** Fields of /proc/<pid>/stat after the command name: [0] is the state, [19] the start time. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
