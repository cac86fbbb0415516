// A new cloud profile's OAuth client and endpoints, from the environment over the providers' own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSettings } from '../../src/app/settings.ts';
import { cloudSettingsOf } from '../../src/providers/oauth/client-settings.ts';

test('the providers\' own endpoints unless the environment names others; no client id is an error naming its variable', () => {
  const settings = readSettings({
    MUSIC_SYNC_GDRIVE_CLIENT_ID: 'g-client', MUSIC_SYNC_ONEDRIVE_CLIENT_ID: ' o-client ', MUSIC_SYNC_ONEDRIVE_CLIENT_SECRET: 'o-secret',
    MUSIC_SYNC_DROPBOX_CLIENT_ID: 'd-client', MUSIC_SYNC_DROPBOX_API_URL: 'http://127.0.0.1:8080/2/', MUSIC_SYNC_DROPBOX_CONTENT_URL: 'http://127.0.0.1:8081/2',
  });
  assert.deepEqual(cloudSettingsOf('gdrive', settings.cloud.gdrive), {
    clientId: 'g-client', authUrl: 'https://accounts.google.com/o/oauth2/v2/auth', tokenUrl: 'https://oauth2.googleapis.com/token',
    apiUrl: 'https://www.googleapis.com/drive/v3',
  });
  assert.equal(settings.cloud.onedrive.clientSecret, 'o-secret');
  assert.deepEqual(cloudSettingsOf('onedrive', settings.cloud.onedrive), {
    clientId: 'o-client', authUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token', apiUrl: 'https://graph.microsoft.com/v1.0',
  });
  assert.deepEqual(cloudSettingsOf('dropbox', settings.cloud.dropbox), {
    clientId: 'd-client', authUrl: 'https://www.dropbox.com/oauth2/authorize', tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
    apiUrl: 'http://127.0.0.1:8080/2', contentUrl: 'http://127.0.0.1:8081/2',
  });
  assert.throws(() => cloudSettingsOf('dropbox', readSettings({}).cloud.dropbox), /^Error: MUSIC_SYNC_DROPBOX_CLIENT_ID is not set: register an app with Dropbox/);
  assert.throws(
    () => cloudSettingsOf('gdrive', readSettings({ MUSIC_SYNC_GDRIVE_CLIENT_ID: 'x', MUSIC_SYNC_GDRIVE_TOKEN_URL: 'ftp://host/token' }).cloud.gdrive),
    /MUSIC_SYNC_GDRIVE_TOKEN_URL must be an http\(s\) URL, got "ftp:\/\/host\/token"/,
  );
});
