// Asking a person at a terminal: one line, on stderr (stdout stays for results), typed text hidden
// for secrets.
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';

/** Whether there is a person to ask. */
export function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/** One answer, without its line end; with `hidden`, nothing typed is echoed. */
export async function ask(question: string, options: { hidden?: boolean } = {}): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = rl.question(question);
    muted = options.hidden === true;
    return await answer;
  } finally {
    muted = false;
    if (options.hidden) process.stderr.write('\n');
    rl.close();
  }
}
