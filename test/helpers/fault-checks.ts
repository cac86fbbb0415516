// Several independent guarantees checked after one fault: each is run, and all that failed are
// reported together, so one broken guarantee does not hide the others.
import assert from 'node:assert/strict';

export class Checks {
  private readonly failures: string[] = [];

  async run(name: string, check: () => unknown): Promise<void> {
    try {
      await check();
    } catch (err) {
      this.failures.push(`${name}: ${(err as Error).message}`);
    }
  }

  assertAll(where: string): void {
    if (this.failures.length > 0) assert.fail(`${where}: ${this.failures.length} guarantee(s) broken:\n\n${this.failures.join('\n\n')}`);
  }
}
