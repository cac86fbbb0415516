// Real WebDAV and S3 servers over a local folder, for the providers' tests and the benchmark: rclone's
// `serve webdav` and `serve s3` (rclone is built from the Go module proxy by scripts/install-tools.sh),
// each in its own process group, on 127.0.0.1 and a port the kernel picked.
//
// What these servers say about a file (rclone v1.76.0 over a local folder), which the providers rely on:
//
// WebDAV (`serve webdav`)
// - PROPFIND answers Depth 0, 1 and infinity. Hrefs are absolute paths (`/Album/01%20x.mp3`), folders
//   end in `/`. Names are served as they are on disk (no Unicode normalisation on Linux).
// - `getetag` is `"<mtime in ns, hex><size, hex>"` (golang.org/x/net/webdav's): it changes when the
//   modification time or the size does, and it is not a content hash. With `etagHash: 'MD5'` the ETag
//   is the content's MD5 and PROPFIND also answers `oc:checksums` (`<oc:checksum>MD5:<hex></oc:checksum>`);
//   rclone then reads every listed file whole to hash it. Without it, `oc:checksums` and `oc:fileid`
//   are answered 404 (absent). Folders have no ETag.
// - `getlastmodified` is an HTTP date: whole seconds. rclone adds `<D:lastmodified>` (Unix seconds).
// - GET honours `Range` (206 with `Content-Range: bytes a-b/total`, `Accept-Ranges: bytes`).
// - Wrong or missing credentials: 401 with `WWW-Authenticate: Basic`.
//
// S3 (`serve s3`, path-style: `<endpoint>/<bucket>/<key>`)
// - Every folder directly under the root is a bucket; keys are `/`-separated paths inside it.
// - ETag is the quoted MD5 hex of the content (rclone hashes the file on every listing and HEAD: a
//   listing reads every file it lists), also for files written into the folder behind its back.
// - ListObjectsV2: `LastModified` to the millisecond; HEAD and GET `Last-Modified` in whole seconds.
//   MaxKeys and continuation tokens are honoured. An EMPTY FOLDER is listed as a key ending in `/`
//   (size 0, the empty MD5): a folder, not a file.
// - GET honours `Range` (206, `Content-Range`). Any region is accepted in the signature's scope.
// - SigV4 is checked against the Host header as received; every `x-amz-*` header must be signed.
//   Unknown key: 403 InvalidAccessKeyId; wrong secret: 403 SignatureDoesNotMatch. Access key ids
//   shorter than 3 characters are refused whatever the keys given.
// - Missing bucket: 404 NoSuchBucket; missing key: 404 NoSuchKey.
//
// Both: `--dir-cache-time 0s` and `--vfs-cache-mode off`, so a file added, changed or removed on disk
// is seen by the very next request, as on a real server that owns its storage.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSettings } from '../app/settings.ts';
import { isExecutable, onPath } from '../stack/executables.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where rclone is looked for, in this order. */
export interface RcloneLocation {
  /** RCLONE_PATH: an rclone the user named; it must be executable. */
  rclonePath?: string;
  /** The project's own tools folder (`<repo>/.tools/bin`), where scripts/install-tools.sh builds it. */
  toolsBin?: string;
  /** The PATH, searched last. */
  searchPath?: string;
}


/** The rclone to run: RCLONE_PATH, then the pinned build in `<repo>/.tools/bin`, then `rclone` on the PATH. */
export function rcloneBinary(location: RcloneLocation = fromSettings()): string {
  if (location.rclonePath) {
    if (!isExecutable(location.rclonePath)) throw new Error(`RCLONE_PATH=${location.rclonePath} is not an executable file`);
    return location.rclonePath;
  }
  const own = path.join(location.toolsBin ?? path.join(REPO_ROOT, '.tools', 'bin'), 'rclone');
  if (isExecutable(own)) return own;
  const found = onPath('rclone', location.searchPath ?? '');
  if (found) return found;
  throw new Error(
    `rclone is not installed (looked in ${path.dirname(own)} and on the PATH): run \`bash scripts/install-tools.sh\` ` +
      'to build it (needs Go), or set RCLONE_PATH to an rclone binary',
  );
}

function fromSettings(): RcloneLocation {
  const settings = readSettings();
  return { rclonePath: settings.rclonePath, searchPath: settings.temporal.searchPath };
}

export interface WebdavServerOptions {
  /** The folder served at the server's root. */
  root: string;
  /** Default `music-sync`. */
  username?: string;
  /** Default: random. */
  password?: string;
  /** 'MD5': ETags are the content's MD5 and PROPFIND answers `oc:checksums`. Default: rclone's
   *  modification-time-and-size ETag and no checksums, as most WebDAV servers. */
  etagHash?: 'MD5';
  /** Default: one the kernel picks. */
  port?: number;
  rclone?: RcloneLocation;
}

export interface WebdavServer {
  /** `http://127.0.0.1:<port>/`: the root folder. */
  url: string;
  username: string;
  password: string;
  root: string;
  /** The rclone process (it leads its own process group). */
  pid: number;
  /** Ends the process group and waits for it to exit. */
  stop(): Promise<void>;
}

export interface S3ServerOptions {
  /** Every folder directly under it is a bucket. */
  root: string;
  /** Default `music-sync-key`. At least 3 characters. */
  accessKeyId?: string;
  /** Default: random. */
  secretAccessKey?: string;
  port?: number;
  rclone?: RcloneLocation;
}

export interface S3Server {
  /** `http://127.0.0.1:<port>`, to be used with path-style addressing (`forcePathStyle: true`). */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The region to sign for (the server accepts any). */
  region: string;
  /** Every folder directly under it is a bucket. */
  root: string;
  pid: number;
  stop(): Promise<void>;
}

/** The options that make rclone answer as a server that owns its storage: nothing cached, so what
 * changes on disk is what the next request sees; no config file (and no notice about a missing one). */
const COMMON_FLAGS = [
  '--dir-cache-time', '0s',
  '--poll-interval', '0',
  '--vfs-cache-mode', 'off',
  '--vfs-handle-caching', '0s',
  '--config', '',
  '--log-level', 'NOTICE',
];

export async function startWebdavServer(options: WebdavServerOptions): Promise<WebdavServer> {
  const root = servedFolder(options.root);
  const username = options.username ?? 'music-sync';
  const password = options.password ?? randomBytes(12).toString('hex');
  const args = [
    'serve', 'webdav', root,
    '--addr', `127.0.0.1:${options.port ?? 0}`,
    '--user', username,
    '--pass', password,
    ...(options.etagHash ? ['--etag-hash', options.etagHash] : []),
    ...COMMON_FLAGS,
  ];
  const running = await startRclone(rcloneBinary(options.rclone), args, 'serve webdav');
  return { url: `${running.origin}/`, username, password, root, pid: running.pid, stop: running.stop };
}

export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const root = servedFolder(options.root);
  const accessKeyId = options.accessKeyId ?? 'music-sync-key';
  const secretAccessKey = options.secretAccessKey ?? randomBytes(16).toString('hex');
  if (accessKeyId.length < 3 || accessKeyId.includes(',') || secretAccessKey.includes(',')) {
    throw new Error('the access key id needs 3 characters or more, and neither key may contain a comma');
  }
  const args = [
    'serve', 's3', root,
    '--addr', `127.0.0.1:${options.port ?? 0}`,
    '--auth-key', `${accessKeyId},${secretAccessKey}`,
    '--etag-hash', 'MD5',
    ...COMMON_FLAGS,
  ];
  const running = await startRclone(rcloneBinary(options.rclone), args, 'serve s3');
  return { endpoint: running.origin, accessKeyId, secretAccessKey, region: 'us-east-1', root, pid: running.pid, stop: running.stop };
}

/** The root as an absolute path; a folder that is missing is an error here rather than an empty server. */
function servedFolder(root: string): string {
  const absolute = path.resolve(root);
  let isFolder = false;
  try {
    isFolder = statSync(absolute).isDirectory();
  } catch {
    // Reported below.
  }
  if (!isFolder) throw new Error(`cannot serve ${absolute}: not a folder`);
  return absolute;
}

interface RunningRclone {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  origin: string;
  pid: number;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
/** The line rclone logs once it listens: `... started on [http://127.0.0.1:40123/]` (WebDAV) or
 * `Starting s3 server on [http://127.0.0.1:40123/]`. With port 0 it is the only way to learn the port. */
const LISTENING = /\[(http:\/\/127\.0\.0\.1:\d+)\/?\]/;

/** Runs rclone until it answers HTTP; rejects with its stderr if it exits first or never answers. */
async function startRclone(binary: string, args: string[], what: string): Promise<RunningRclone> {
  // Its own process group, so stop() ends whatever rclone started too; unref'd, so a test that forgets
  // stop() does not hang its process, and the exit hook below still takes the server down.
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => signalGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  child.unref();
  (child.stderr as (NodeJS.ReadableStream & { unref?: () => void }) | null)?.unref?.();

  let stderr = '';
  const origin = new Promise<string>((resolve, reject) => {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderr = (stderr + text).slice(-8000);
      const found = LISTENING.exec(stderr);
      if (found) resolve(found[1]);
    });
    child.once('error', (err) => reject(new Error(`cannot run ${binary}: ${err.message}`)));
  });
  const died = exited.then((): never => {
    throw new Error(`rclone ${what} exited before it answered (code ${child.exitCode}): ${stderr.trim()}`);
  });
  died.catch(() => {}); // Only the start awaits it; a later exit is stop()'s.
  const stop = () => stopGroup(child, exited);
  let timer: NodeJS.Timeout | undefined;
  try {
    const answering = (async () => {
      const url = await origin;
      await untilAnswering(url);
      return url;
    })();
    answering.catch(() => {}); // Awaited through the race below; may fail after another entrant won.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`rclone ${what} did not answer within ${STARTUP_TIMEOUT_MS} ms: ${stderr.trim()}`)), STARTUP_TIMEOUT_MS);
    });
    const url = await Promise.race([answering, died, timeout]);
    if (child.pid === undefined) throw new Error(`rclone ${what} has no pid`);
    return { origin: url, pid: child.pid, stop };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** rclone logs its address once it listens; one HTTP answer (of any status) proves it serves. */
async function untilAnswering(url: string): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(2_000) });
      return;
    } catch (err) {
      if (attempt >= 100) throw new Error(`rclone logged ${url} but does not answer there: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}
