// Drive's error answers as https://developers.google.com/drive/api/guides/handle-errors shows them:
// `{ "error": { "code", "message", "errors": [{ "domain", "reason", "message", "location"?,
// "locationType"? }] } }`.
import type { ServerResponse } from 'node:http';

export class DriveError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly domain: string;
  readonly location: string | undefined;
  readonly locationType: string | undefined;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    reason: string,
    message: string,
    options: { domain?: string; location?: string; locationType?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.domain = options.domain ?? 'global';
    this.location = options.location;
    this.locationType = options.locationType;
    this.headers = options.headers ?? {};
  }
}

/** 400 Invalid Value naming the parameter (a bad `q`, `pageSize`, or a page token Drive does not know). */
export const invalidValue = (parameter: string) =>
  new DriveError(400, 'invalid', 'Invalid Value', { location: parameter, locationType: 'parameter' });

export const fileNotFound = (id: string) =>
  new DriveError(404, 'notFound', `File not found: ${id}.`, { location: 'fileId', locationType: 'parameter' });

/** 401: the access token is missing, expired or revoked. */
export const invalidCredentials = () =>
  new DriveError(401, 'authError', 'Invalid Credentials', {
    location: 'Authorization',
    locationType: 'header',
    headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
  });

/** The 403s of Drive's limits the fake can answer (`usageLimits`; the fake adds Retry-After: 1):
 * userRateLimitExceeded is the per-user quota's answer, the others a spent quota or a sharing limit. */
export type UsageLimitReason = 'userRateLimitExceeded' | 'rateLimitExceeded' | 'sharingRateLimitExceeded' | 'dailyLimitExceeded' | 'quotaExceeded' | 'downloadQuotaExceeded';

const USAGE_LIMIT_MESSAGES: Readonly<Record<UsageLimitReason, string>> = {
  userRateLimitExceeded: 'User Rate Limit Exceeded',
  rateLimitExceeded: 'Rate Limit Exceeded',
  sharingRateLimitExceeded: 'Rate limit exceeded. User message: "These item(s) could not be shared because a rate limit was exceeded"',
  dailyLimitExceeded: 'Daily Limit Exceeded',
  quotaExceeded: 'Quota Exceeded',
  downloadQuotaExceeded: 'The download quota for this file has been exceeded.',
};

export const usageLimit = (reason: UsageLimitReason = 'userRateLimitExceeded') =>
  new DriveError(403, reason, USAGE_LIMIT_MESSAGES[reason], { domain: 'usageLimits', headers: { 'retry-after': '1' } });

/** 403 for a download of something without bytes (a folder, a Google Doc). */
export const fileNotDownloadable = () =>
  new DriveError(403, 'fileNotDownloadable', 'Only files with binary content can be downloaded. Use Export with Docs Editors files.', {
    location: 'alt',
    locationType: 'parameter',
  });

export function sendError(res: ServerResponse, error: DriveError): void {
  const detail = {
    message: error.message,
    domain: error.domain,
    reason: error.reason,
    ...(error.location ? { location: error.location, locationType: error.locationType } : {}),
  };
  const body = JSON.stringify({ error: { code: error.status, message: error.message, errors: [detail] } });
  res.writeHead(error.status, { 'content-type': 'application/json; charset=UTF-8', ...error.headers }).end(body);
}
