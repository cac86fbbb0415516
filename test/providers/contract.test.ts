// The provider contract (test/helpers/provider-contract.ts) for every provider kind, each over a real
// folder: the local folder directly; network providers through a real server over it.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { localProvider } from '../../src/providers/local/index.ts';
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

/** A scratch folder served by a real server: `music` is the profile's root (an S3 bucket). */
async function served(kind: string) {
  const scratch = await mkdtemp(path.join(os.tmpdir(), `music-sync-contract-${kind}-`));
  const root = path.join(scratch, 'served', 'music');
  await mkdir(root, { recursive: true });
  return { scratch, root, tempDir: path.join(scratch, 'spool') };
}

providerContract('webdav (rclone serve webdav)', async () => {
  const { scratch, root, tempDir } = await served('webdav');
  const server = await startWebdavServer({ root: path.dirname(root) });
  const environment = { secrets: { username: server.username, password: server.password }, tempDir };
  const at = (folder: string) => webdavProvider.create({ provider: 'webdav', root: new URL(`${folder}/`, server.url).href, settings: {} }, environment);
  return {
    root,
    provider: () => at('music'),
    missingRoot: () => at('nothing'),
    teardown: async () => {
      await server.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
});

providerContract('s3 (rclone serve s3)', async () => {
  const { scratch, root, tempDir } = await served('s3');
  const server = await startS3Server({ root: path.dirname(root) });
  const environment = { secrets: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }, tempDir };
  const at = (bucket: string) => s3Provider.create({ provider: 's3', root: `s3://${bucket}/`, settings: { endpoint: server.endpoint, region: server.region } }, environment);
  return {
    root,
    provider: () => at('music'),
    missingRoot: () => at('nothing'),
    teardown: async () => {
      await server.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
});
