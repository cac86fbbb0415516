// The provider contract (test/helpers/provider-contract.ts) for every provider kind, each over a real
// folder: the local folder directly; network providers through a real server over it.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { localProvider } from '../../src/providers/local/index.ts';
import type { StorageProvider } from '../../src/providers/types.ts';
import { s3Provider } from '../../src/providers/s3/index.ts';
import { webdavProvider } from '../../src/providers/webdav/index.ts';
import { startS3Server, startWebdavServer } from '../../src/testing/remote-servers.ts';
import { providerContract } from '../helpers/provider-contract.ts';

providerContract('local', async () => {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'music-sync-contract-local-'));
  const root = path.join(scratch, 'music');
  await mkdir(root);
  const environment = { secrets: {}, tempDir: scratch };
  return {
    root,
    provider: () => localProvider.create({ provider: 'local', root, settings: {} }, environment),
    missingRoot: () => localProvider.create({ provider: 'local', root: path.join(scratch, 'not here'), settings: {} }, environment),
    teardown: () => rm(scratch, { recursive: true, force: true }),
  };
});

/** A scratch folder served by a real server: `music` is the profile's root (an S3 bucket), `nothing`
 * a root that is not there. `start` starts the server over the folder; `at` makes a provider of one
 * of its folders. */
async function served<S extends { stop(): Promise<void> }>(
  kind: string,
  start: (folder: string) => Promise<S>,
  at: (server: S, folder: string, tempDir: string) => StorageProvider,
) {
  const scratch = await mkdtemp(path.join(os.tmpdir(), `music-sync-contract-${kind}-`));
  const root = path.join(scratch, 'served', 'music');
  await mkdir(root, { recursive: true });
  const tempDir = path.join(scratch, 'spool');
  const server = await start(path.dirname(root));
  return {
    root,
    provider: () => at(server, 'music', tempDir),
    missingRoot: () => at(server, 'nothing', tempDir),
    teardown: async () => {
      await server.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

providerContract('webdav (rclone serve webdav)', () => served('webdav', (folder) => startWebdavServer({ root: folder }), (server, folder, tempDir) =>
  webdavProvider.create(
    { provider: 'webdav', root: new URL(`${folder}/`, server.url).href, settings: {} },
    { secrets: { username: server.username, password: server.password }, tempDir },
  )));

providerContract('s3 (rclone serve s3)', () => served('s3', (folder) => startS3Server({ root: folder }), (server, bucket, tempDir) =>
  s3Provider.create(
    { provider: 's3', root: `s3://${bucket}/`, settings: { endpoint: server.endpoint, region: server.region } },
    { secrets: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }, tempDir },
  )));
