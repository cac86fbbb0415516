// Reading one listed file into a track: its tags through ranged reads (music-metadata fetches only the
// bytes it parses, whatever the storage), then one sequential pass that hashes the whole file (its
// content identity) and, at the same time, its audio alone (the same recording under other tags).
import { parseFromTokenizer } from 'music-metadata';
import type { AudioHashScope, TrackTags } from '../contract/track.ts';
import type { ProviderFile, RandomAccessReader, StorageProvider } from '../providers/types.ts';
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
  /** `sha256:<hex>` of the whole file. */
  contentHash: string;
  /** `sha256:<hex>` of the audio alone (tags and artwork left out), or `contentHash` when the scope
   * is `file`. */
  audioHash: string;
  /** `stream`: the audio alone was hashed; `file`: the format could not be split (or its structure
   * was not understood), so the whole file stands for the audio. */
  audioHashScope: AudioHashScope;
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
}

export async function readTrack(
  provider: StorageProvider,
  file: Pick<ProviderFile, 'fileId' | 'path' | 'mimeType'>,
  options: ReadTrackOptions,
): Promise<ReadTrackResult> {
  const guard = new ReadGuard({ stallTimeoutMs: options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, signal: options.signal });
  let opened: RandomAccessReader | undefined;
  try {
    opened = await guard.run(
      () => provider.open(file),
      (late) => void late.close().catch(() => undefined),
    );
    const reader = guard.reader(opened);
    if (reader.size === 0) throw new UnreadableFileError('empty file');
    const io = new HeaderReader(reader);
    const { tags, container } = await parseTags(reader, io, guard, file, options);
    const plan = await planAudioHash(io, container);
    const filter = plan.scope === 'stream' ? plan.filter : undefined;
    const { contentHash, audioHash } = await hashPass(reader, filter);
    return {
      tags,
      contentHash,
      audioHash: audioHash ?? contentHash,
      audioHashScope: audioHash ? 'stream' : 'file',
      bytesRead: reader.bytes,
    };
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
