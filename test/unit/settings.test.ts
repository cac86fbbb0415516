import assert from 'node:assert/strict';
import { test } from 'node:test';
import { networkPolicyOf } from '../../src/app/open.ts';
import { readSettings, SettingsError } from '../../src/app/settings.ts';

test('settings: the environment read once, with the defaults of a machine that sets nothing', () => {
  assert.deepEqual(readSettings({ PATH: '/bin' }), {
    databaseUrl: undefined,
    temporal: { address: undefined, namespace: 'default', cliPath: undefined, searchPath: '/bin' },
    metered: false,
    debug: false,
  });
  const given = readSettings({
    DATABASE_URL: 'postgres://u:p@db/music', TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'music',
    TEMPORAL_CLI_PATH: '/opt/temporal', MUSIC_SYNC_METERED: 'yes', MUSIC_SYNC_DEBUG: '1',
  });
  assert.deepEqual(given, {
    databaseUrl: 'postgres://u:p@db/music',
    temporal: { address: 'temporal:7233', namespace: 'music', cliPath: '/opt/temporal', searchPath: '' },
    metered: true,
    debug: true,
  });
  // Set but empty is unset, as a shell's `DATABASE_URL= music-sync ...` means.
  assert.equal(readSettings({ DATABASE_URL: '', TEMPORAL_ADDRESS: '' }).databaseUrl, undefined);
  assert.equal(readSettings({ MUSIC_SYNC_DEBUG: '0' }).debug, false);
  assert.equal(readSettings({ MUSIC_SYNC_METERED: 'off' }).metered, false);
});

test('settings: a metered flag that means nothing is an error that names it, not a silent "no"', () => {
  assert.throws(() => readSettings({ MUSIC_SYNC_METERED: 'sometimes' }), (e: unknown) =>
    e instanceof SettingsError && /MUSIC_SYNC_METERED must be 1 or 0/.test(e.message) && /"sometimes"/.test(e.message));
});

test('the network policy the worker gets is the one the settings describe', async () => {
  assert.equal(await networkPolicyOf(readSettings({ MUSIC_SYNC_METERED: '1' })).isMetered(), true);
  assert.equal(await networkPolicyOf(readSettings({})).isMetered(), false);
});
