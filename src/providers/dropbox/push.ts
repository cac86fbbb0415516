// What Dropbox's webhook needs of a profile: the account it is linked to. The webhook is one for the
// whole app (registered in the App Console) and names the accounts that changed
// (https://www.dropbox.com/developers/reference/webhooks), so each profile's account is looked up
// once with users/get_current_account
// (https://www.dropbox.com/developers/documentation/http/documentation#users-get_current_account),
// through CloudHttp with the profile's tokens and the account's limiter, as the provider's own requests are.
import { CloudHttp } from '../cloud/http.ts';
import { createAccessTokens } from '../oauth/access-tokens.ts';
import { limiterFor } from '../remote/limiter.ts';
import type { ProviderEnvironment, ProviderProfile } from '../types.ts';
import { ProviderError } from '../types.ts';
import { dropboxErrorOf } from './errors.ts';
import { normalizeRoot } from './location.ts';
import { normalizeDropboxSettings } from './settings.ts';

/** The provider's limit of requests at once per account (index.ts): the limiter is the same one. */
const MAX_CONNECTIONS = 8;

/** The Dropbox account id (`dbid:...`) of the profile's link. */
export async function dropboxAccountId(profile: ProviderProfile, environment: Pick<ProviderEnvironment, 'secrets' | 'credentials' | 'throttleBoard'>): Promise<string> {
  const root = normalizeRoot(profile.root);
  const settings = normalizeDropboxSettings(profile.settings);
  const tokens = createAccessTokens({ kind: 'dropbox', profile, secrets: environment.secrets, credentials: environment.credentials });
  const limiter = limiterFor(`dropbox ${settings.apiUrl} ${settings.clientId} /${root}`, MAX_CONNECTIONS, environment.throttleBoard);
  const http = new CloudHttp({ tokens, limiter, errorOf: dropboxErrorOf });
  // An endpoint without arguments takes no body (nor a Content-Type).
  const answer = await http.json<{ account_id?: unknown }>('Dropbox users/get_current_account', { method: 'POST', url: `${settings.apiUrl}/users/get_current_account` });
  if (typeof answer.account_id !== 'string' || answer.account_id === '') {
    throw new ProviderError('unavailable', 'Dropbox answered users/get_current_account without an account_id');
  }
  return answer.account_id;
}
