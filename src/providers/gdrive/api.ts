// The Drive API v3 requests the provider makes, each one through CloudHttp (bearer token, account
// limiter, retries). Only the fields read are asked for.
//   files.list                https://developers.google.com/drive/api/reference/rest/v3/files/list
//   files.get                 https://developers.google.com/drive/api/reference/rest/v3/files/get
//   files.get?alt=media       https://developers.google.com/drive/api/guides/manage-downloads
//   changes.getStartPageToken https://developers.google.com/drive/api/reference/rest/v3/changes/getStartPageToken
//   changes.list              https://developers.google.com/drive/api/reference/rest/v3/changes/list
import type { CloudHttp } from '../cloud/http.ts';
import type { FetchRange } from '../remote/types.ts';
import { ProviderError } from '../types.ts';
import { statusOf } from './errors.ts';

export const FOLDER_MIME = 'application/vnd.google-apps.folder';

/** A file resource with the fields asked for (Drive sends int64 values as strings). */
export interface DriveFile {
  id: string;
  name: string;
  mimeType: string;
  parents?: string[];
  size?: string;
  md5Checksum?: string;
  sha256Checksum?: string;
  modifiedTime?: string;
  createdTime?: string;
  version?: string;
  trashed?: boolean;
}

export interface DriveChange {
  fileId: string;
  /** The file was deleted for good, or the user lost access to it. */
  removed?: boolean;
  file?: DriveFile;
}

export interface FileList {
  files?: DriveFile[];
  nextPageToken?: string;
}

export interface ChangeList {
  changes?: DriveChange[];
  nextPageToken?: string;
  /** Only on the last page: where the next read of the feed starts. */
  newStartPageToken?: string;
}

const FILE_FIELDS = 'id,name,mimeType,parents,size,md5Checksum,sha256Checksum,modifiedTime,createdTime,version,trashed';

/** The most files.list and changes.list answer per page ("Acceptable values are 1 to 1000"). */
export const MAX_PAGE_SIZE = 1000;

/** A string literal of the files.list query language: `'` and `\` escaped with `\`. */
export function quote(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

export class DriveApi {
  private readonly http: CloudHttp;
  private readonly apiUrl: string;

  constructor(http: CloudHttp, apiUrl: string) {
    this.http = http;
    this.apiUrl = apiUrl;
  }

  /** One page of files.list for `q` (every drive the user can see, trashed items only if asked), by
   * name then creation time: items of one name and folder come together, the oldest first (names.ts). */
  listFiles(q: string, pageToken: string | undefined, pageSize = MAX_PAGE_SIZE): Promise<FileList> {
    return this.http.json<FileList>('Google Drive files.list', {
      url: this.url('files', {
        q,
        fields: `nextPageToken,files(${FILE_FIELDS})`,
        pageSize: String(Math.min(MAX_PAGE_SIZE, Math.max(1, pageSize))),
        orderBy: 'name,createdTime',
        supportsAllDrives: 'true',
        includeItemsFromAllDrives: 'true',
        ...(pageToken ? { pageToken } : {}),
      }),
    });
  }

  /** files.get of one item (`root` names My Drive); undefined when Drive has no such item for us. */
  async getFile(id: string): Promise<DriveFile | undefined> {
    try {
      return await this.http.json<DriveFile>('Google Drive files.get', {
        url: this.url(`files/${encodeURIComponent(id)}`, { fields: FILE_FIELDS, supportsAllDrives: 'true' }),
      });
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async startPageToken(): Promise<string> {
    const answer = await this.http.json<{ startPageToken?: string }>('Google Drive changes.getStartPageToken', {
      url: this.url('changes/startPageToken', { supportsAllDrives: 'true' }),
    });
    if (!answer.startPageToken) throw new ProviderError('unavailable', 'Google Drive answered changes.getStartPageToken without a startPageToken');
    return answer.startPageToken;
  }

  /** One page of the change feed of the user's My Drive (where every profile's root is) from
   * `pageToken`, removals included. */
  listChanges(pageToken: string, pageSize: number): Promise<ChangeList> {
    return this.http.json<ChangeList>('Google Drive changes.list', {
      url: this.url('changes', {
        pageToken,
        pageSize: String(Math.min(MAX_PAGE_SIZE, Math.max(1, pageSize))),
        includeRemoved: 'true',
        restrictToMyDrive: 'true',
        supportsAllDrives: 'true',
        includeItemsFromAllDrives: 'true',
        fields: `nextPageToken,newStartPageToken,changes(fileId,removed,file(${FILE_FIELDS}))`,
      }),
    });
  }

  /** Ranged downloads of a file's bytes. */
  download(id: string): FetchRange {
    return this.http.fetchRange({ url: this.url(`files/${encodeURIComponent(id)}`, { alt: 'media', supportsAllDrives: 'true' }) });
  }

  private url(path: string, query: Record<string, string>): string {
    return `${this.apiUrl}/${path}?${new URLSearchParams(query).toString()}`;
  }
}
