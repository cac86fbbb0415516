// The profile's root folder by id: My Drive itself for '', else each name of the path looked up in
// its parent (files.list, folders only). Drive allows two folders of one name side by side: the one
// created first is taken (then the smaller id), the rule names.ts gives paths by.
import { ProviderError } from '../types.ts';
import { FOLDER_MIME, quote, type DriveApi, type DriveFile } from './api.ts';
import { olderFirst } from './names.ts';
import { rootSegments } from './profile.ts';

/** My Drive's alias in the API. */
const MY_DRIVE = 'root';

export async function resolveRoot(api: DriveApi, root: string): Promise<string> {
  const missing = () => new ProviderError('unavailable', `the folder "${root}" does not exist in Google Drive; a missing folder is never taken for an empty one`);
  if (root === '') {
    const myDrive = await api.getFile(MY_DRIVE);
    if (!myDrive) throw new ProviderError('unavailable', 'Google Drive has no My Drive for this account');
    return myDrive.id;
  }
  let parent = MY_DRIVE;
  for (const name of rootSegments(root)) {
    const q = `${quote(parent)} in parents and name = ${quote(name)} and mimeType = ${quote(FOLDER_MIME)} and trashed = false`;
    const found: DriveFile[] = [];
    let pageToken: string | undefined;
    do {
      const answer = await api.listFiles(q, pageToken);
      found.push(...(answer.files ?? []));
      pageToken = answer.nextPageToken;
    } while (pageToken);
    // Drive may compare names loosely: the folder of exactly this name, where there is one.
    const exact = found.filter((f) => f.name === name);
    const first = (exact.length > 0 ? exact : found).sort(olderFirst)[0];
    if (!first) throw missing();
    parent = first.id;
  }
  return parent;
}
