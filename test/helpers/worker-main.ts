// A sync worker alone in its process, for tests that kill workers (see worker-process.ts, which starts
// it). Argument: one JSON object, WorkerMainConfig. Prints `ready` on stdout once it polls; SIGINT or
// SIGTERM stop it cleanly (the Temporal Runtime's shutdown signals), SIGKILL is the crash under test.
import { readFileSync } from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createDb } from '../../src/db/connect.ts';
import { defaultProviders } from '../../src/providers/registry.ts';
import { createSyncWorker } from '../../src/workers/worker.ts';

export interface WorkerMainConfig {
  temporalAddress: string;
  databaseUrl: string;
  namespace?: string;
  taskQueue?: string;
  /** A JSON file with the bundled workflow code ({ code }), made once by the parent; without it, the
   * worker bundles the workflows itself (a few seconds). */
  workflowBundlePath?: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerMainConfig;
Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({ address: config.temporalAddress });
const db = createDb(config.databaseUrl);
const worker = await createSyncWorker({
  connection,
  db,
  providers: defaultProviders(),
  networkPolicy: { isMetered: async () => false },
  ...(config.namespace ? { namespace: config.namespace } : {}),
  ...(config.taskQueue ? { taskQueue: config.taskQueue } : {}),
  ...(config.workflowBundlePath
    ? { workflowBundle: { sourceMap: '', ...(JSON.parse(readFileSync(config.workflowBundlePath, 'utf8')) as { code: string }) } }
    : {}),
});
const running = worker.run();
while (worker.getState() !== 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 20));
process.stdout.write('ready\n');
await running;
await db.destroy();
await connection.close();
