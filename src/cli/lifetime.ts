// What a command opened (services, child processes), closed on every way out: at the end, on error,
// on Ctrl-C (cleanly, bounded in time) and on a second Ctrl-C (at once).
import type { Output } from './output.ts';

export interface Resource {
  close(): Promise<void>;
  /** Synchronous last resort (second Ctrl-C): signal the child processes so none outlives us. */
  kill(): void;
  closing?: Promise<void>;
}

const resources = new Set<Resource>();
let opening = 0;
let interruptedWhileOpening = false;
let exiting: Promise<never> | undefined;

/** True once the CLI decided to exit: errors of commands cut off by the shutdown are not reported. */
export function isExiting(): boolean {
  return exiting !== undefined;
}

/** Closing twice (the command's own `finally` and an interrupt) shares one close. */
function closeOnce(r: Resource): Promise<void> {
  r.closing ??= r.close().catch(() => undefined);
  return r.closing;
}

async function closeAll(timeoutMs: number): Promise<void> {
  const all = [...resources].reverse();
  const closing = (async () => {
    for (const r of all) await closeOnce(r);
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    closing.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) for (const r of all) r.kill();
  for (const r of all) resources.delete(r);
}

/** Closes everything still open (bounded in time) and exits with `code`; the first call decides the code. */
export function exitAfterClose(code: number, timeoutMs = 15_000): Promise<never> {
  exiting ??= (async () => {
    await closeAll(timeoutMs);
    process.exit(code);
  })();
  return exiting;
}

/** Exits now: child processes are signalled synchronously, nothing is awaited. */
export function exitNow(code: number): never {
  exiting ??= new Promise<never>(() => {});
  for (const r of resources) r.kill();
  process.exit(code);
}

/** The interrupt handler outside of any command-specific one: stop cleanly, a second time at once. */
export function defaultInterrupt(out: Output): (count: number) => void {
  return (count) => {
    if (count > 1) exitNow(130);
    if (opening > 0) {
      // Half-started services cannot be closed from here; close them as soon as the start returns.
      interruptedWhileOpening = true;
      out.warn('stopping once start-up finishes… (Ctrl-C again to quit now)');
      return;
    }
    out.warn('stopping…');
    void exitAfterClose(130);
  };
}

/** Opens something that must be closed on every way out, including an interrupt during the opening. */
export async function guardedOpen<T>(open: () => Promise<T>, toResource: (value: T) => Resource): Promise<{ value: T; resource: Resource }> {
  opening += 1;
  let value: T;
  try {
    value = await open();
  } catch (err) {
    if (interruptedWhileOpening) await exitAfterClose(130);
    throw err;
  } finally {
    opening -= 1;
  }
  const resource = toResource(value);
  resources.add(resource);
  if (interruptedWhileOpening) await exitAfterClose(130);
  return { value, resource };
}

/** Closes one resource now (a command's own `finally`). */
export async function release(resource: Resource): Promise<void> {
  await closeOnce(resource);
  resources.delete(resource);
}
