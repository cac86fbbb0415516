import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { REPO_ROOT } from '../../src/stack/temporal.ts';

/** TEMPORAL_TEST_SERVER_PATH, else the wrapper scripts/install-tools.sh put in .tools/bin, else
 * undefined: the SDK then downloads the test server itself (machines with internet). */
export function testServerPath(): string | undefined {
  const candidates = [process.env.TEMPORAL_TEST_SERVER_PATH, path.join(REPO_ROOT, '.tools', 'bin', 'temporal-test-server')];
  for (const c of candidates) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** Temporal's time-skipping test server (Java), started from the existing binary when there is one. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietWorkerLogs();
  const executable = testServerPath();
  return TestWorkflowEnvironment.createTimeSkipping(
    executable ? { server: { executable: { type: 'existing-path', path: executable } } } : undefined,
  );
}

let quieted = false;
/** Worker state changes are INFO noise in test output; warnings and errors still show. */
export function quietWorkerLogs(): void {
  if (quieted) return;
  quieted = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}
