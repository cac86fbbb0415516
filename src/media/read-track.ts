// Reading one listed file into a track, fetching as few bytes as the file allows:
// - on this machine, the tags through ranged reads (music-metadata fetches only the bytes it parses),
//   then one sequential pass that hashes the whole file (its content identity) and, at the same time,
//   its audio alone (the same recording under other tags);
// - over a network, where the provider listed a content hash: the tags' ranges only, the provider's
//   hash standing for the content (the audio is not read, so it has no audio hash);
// - over a network without one: the file is copied once, streamed, into a temporary file that is
//   read as a local one, and deleted whatever happens.
import { promises as fs } from 'node:fs';
import { parseFromTokenizer } from 'music-metadata';
import type { AudioHashScope, TrackTags } from '../contract/track.ts';
import { openRegularFile } from '../providers/local/open.ts';
import { defaultTempDir, tempFilePath } from '../providers/remote/temp-files.ts';
import type { ProviderContext, ProviderFile, RandomAccessReader, StorageProvider } from '../providers/types.ts';
import { checkEnds } from './audio-hash/end-check.ts';
import { hashPass } from './audio-hash/hash-pass.ts';
import { HeaderReader } from './audio-hash/header-reader.ts';
import { planAudioHash } from './audio-hash/registry.ts';
import { TruncatedFileError, UnreadableFileError } from './errors.ts';
import { type CountingReader, ReadGuard } from './read-guard.ts';
import { ReaderTokenizer } from './reader-tokenizer.ts';
import { toTrackTags } from './tags.ts';

export type { AudioHashScope };
export { TruncatedFileError, UnreadableFileError };

export interface ReadTrackResult {
  tags: TrackTags;
  /** The content identity as `<kind>:<hex>`: `sha256:` of the whole file, or the provider's hash
   * (`md5:`, ...) where it listed one and only the tags were read. */
  contentHash: string;
  /** `sha256:<hex>` of the audio alone (tags and artwork left out), or `contentHash` when the scope
   * is `file`; null when the audio was not read (a provider hash stood for the content). */
  audioHash: string | null;
  /** `stream`: the audio alone was hashed; `file`: the format could not be split (or its structure
   * was not understood), so the whole file stands for the audio; null with no audio hash. */
  audioHashScope: AudioHashScope | null;
  /** Bytes transferred from the provider to read the file. */
  bytesRead: number;
}

/** How long one call to the provider (an open, a read) may take before the file is given up. */
export const DEFAULT_STALL_TIMEOUT_MS = 60_000;

export interface ReadTrackOptions {
  /** Upper bound on tag parsing for one file, so one odd file cannot stall a batch. */
  parseTimeoutMs: number;
  /** Upper bound on each provider call (default DEFAULT_STALL_TIMEOUT_MS): a read that hangs fails the
   * file with "reading stalled". */
  stallTimeoutMs?: number;
  /** Cancels the file's reading at once, even while a read hangs. */
  signal?: AbortSignal;
  /** Where a file read whole over a network is spooled (default: a music-sync folder in the
   * system's temp dir). */
  tempDir?: string;
}

type ReadableFile = Pick<ProviderFile, 'fileId' | 'path' | 'mimeType'> & Partial<Pick<ProviderFile, 'size' | 'providerHash' | 'revision'>>;

export async function readTrack(provider: StorageProvider, file: ReadableFile, options: ReadTrackOptions): Promise<ReadTrackResult> {
  const stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  if (!provider.usesNetwork) return readOpened(() => provider.open(file, { signal: options.signal }), file, options, stallTimeoutMs, hashWhole);
  // Over a network each request is timed, retried and throttled by the provider itself: a call that
  // waits out a Retry-After is not a stall.
  const context = { signal: options.signal, stallTimeoutMs };
  if (file.providerHash) {
    const providerHash = file.providerHash;
    return readOpened(() => provider.open(file, context), file, options, undefined, async (_reader, tags, io, container) => {
      // The audio is not read: its structure is checked from its headers and its two ends.
      await checkEnds(io, await planAudioHash(io, container));
      return { tags, contentHash: providerHash, audioHash: null, audioHashScope: null };
    });
  }
  if (provider.download) return readSpooled(provider, file, options, context);
  return readOpened(() => provider.open(file, context), file, options, undefined, hashWhole);
}

/** The whole file's hash and its audio's, in one sequential pass over the reader. */
async function hashWhole(reader: CountingReader, tags: TrackTags, io: HeaderReader, container: string | undefined) {
  const plan = await planAudioHash(io, container);
  const filter = plan.scope === 'stream' ? plan.filter : undefined;
  const { contentHash, audioHash } = await hashPass(reader, filter);
  return { tags, contentHash, audioHash: audioHash ?? contentHash, audioHashScope: (audioHash ? 'stream' : 'file') as AudioHashScope };
}

/** Copies the file once into a temporary file of ours, reads that as a local file, deletes it. */
async function readSpooled(
  provider: StorageProvider,
  file: ReadableFile,
  options: ReadTrackOptions,
  context: ProviderContext,
): Promise<ReadTrackResult> {
  const target = await tempFilePath(options.tempDir ?? defaultTempDir());
  let bytesRead = 0;
  try {
    ({ bytesRead } = await provider.download!(file, target, context));
    const local = () => openRegularFile(Buffer.from(target), file.path);
    const result = await readOpened(local, file, options, context.stallTimeoutMs, hashWhole);
    return { ...result, bytesRead };
  } catch (err) {
    if (err instanceof UnreadableFileError) err.bytesRead = bytesRead;
    throw err;
  } finally {
    await fs.rm(target, { force: true });
  }
}

/** Over a network the bytes that crossed it (read-ahead included) are the cost, not those parsed. */
function bytesOf(opened: RandomAccessReader, counted: CountingReader): number {
  return (opened as { bytesTransferred?: number }).bytesTransferred ?? counted.bytes;
}

async function readOpened(
  open: () => Promise<RandomAccessReader>,
  file: ReadableFile,
  options: ReadTrackOptions,
  stallTimeoutMs: number | undefined,
  finish: (reader: CountingReader, tags: TrackTags, io: HeaderReader, container: string | undefined) => Promise<Omit<ReadTrackResult, 'bytesRead'>>,
): Promise<ReadTrackResult> {
  const guard = new ReadGuard({ stallTimeoutMs, signal: options.signal });
  let opened: RandomAccessReader | undefined;
  let reader: CountingReader | undefined;
  try {
    opened = await guard.run(open, (late) => void late.close().catch(() => undefined));
    reader = guard.reader(opened);
    if (reader.size === 0) throw new UnreadableFileError('empty file');
    const io = new HeaderReader(reader);
    const { tags, container } = await parseTags(reader, io, guard, file, options);
    const result = await finish(reader, tags, io, container);
    return { ...result, bytesRead: bytesOf(opened, reader) };
  } catch (err) {
    // A file that fails still cost what was read of it.
    if (err instanceof UnreadableFileError && opened && reader) err.bytesRead = bytesOf(opened, reader);
    throw err;
  } finally {
    guard.dispose();
    // A reader whose read hangs may hang on close too: it is closed in the background.
    if (guard.failure) void opened?.close().catch(() => undefined);
    else await opened?.close().catch(() => undefined);
  }
}

/** The truncation a file's structure shows (a box or chunk that claims more bytes than the file
 * has), if it shows one. */
async function truncation(io: HeaderReader): Promise<TruncatedFileError | undefined> {
  try {
    await planAudioHash(io, undefined);
    return undefined;
  } catch (err) {
    return err instanceof TruncatedFileError ? err : undefined;
  }
}

async function parseTags(
  reader: CountingReader,
  io: HeaderReader,
  guard: ReadGuard,
  file: Pick<ProviderFile, 'path' | 'mimeType'>,
  options: ReadTrackOptions,
): Promise<{ tags: TrackTags; container: string | undefined }> {
  // The tokenizer must not close the shared reader: hashing reads it afterwards.
  const view: RandomAccessReader = { size: reader.size, read: reader.read.bind(reader), close: async () => {} };
  const tokenizer = new ReaderTokenizer(view, { path: file.path, mimeType: file.mimeType ?? undefined });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void tokenizer.abort();
      reject(new UnreadableFileError(`reading tags took longer than ${options.parseTimeoutMs} ms`));
    }, options.parseTimeoutMs);
  });
  try {
    // duration: false keeps the work per file bounded (music-metadata#45); formats with a header
    // duration still report it, others are estimated from bitrate.
    const meta = await Promise.race([parseFromTokenizer(tokenizer, { duration: false, skipCovers: false }), timeout]);
    // music-metadata is lenient: a text file named .mp3 parses to an empty result. Neither a tag nor a
    // container, codec or sample rate means nothing in it is music.
    const f = meta.format;
    if (f.tagTypes.length === 0 && !f.container && !f.codec && f.sampleRate === undefined) {
      throw new UnreadableFileError('no audio stream found');
    }
    return { tags: toTrackTags(meta, file.path), container: f.container };
  } catch (err) {
    clearTimeout(timer);
    // A stalled or cancelled read surfaces through the parser: its own error, not the parser's.
    if (guard.failure) throw guard.failure;
    if (err instanceof UnreadableFileError) throw err;
    if (options.signal?.aborted) throw err;
    // What the file's structure says of a cut file is clearer than the parser's complaint.
    throw (await truncation(io)) ?? parseFailure(err);
  } finally {
    clearTimeout(timer);
  }
}

function parseFailure(err: unknown): UnreadableFileError {
  const e = err as Error;
  const message = e?.message ?? String(err);
  if (e?.name === 'EndOfStreamError' || /end-of-stream/i.test(message)) return new TruncatedFileError('unexpected end of file', { cause: err });
  return new UnreadableFileError(message.length > 300 ? `${message.slice(0, 300)}…` : message, { cause: err });
}
