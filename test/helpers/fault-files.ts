// A hostile music folder: names no one would choose (control characters, quotes, format directives,
// SQL, bytes that are not UTF-8, names and paths at the filesystem's limits), entries that are not
// regular files (a FIFO, a link to /dev/zero, links that leave the folder or loop, a folder named like
// a song), files that only look like music, tags that push every limit, and a folder that cannot be
// listed. Every entry says what a sync must make of it.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { bytesToText } from '../../src/providers/path-bytes.ts';
import { encodeMp3, encodeMpegFrames, writeTrackFile } from '../../src/testing/fixtures.ts';

/** What a sync must make of an entry: a track; a failed item with a reason; either (a damaged or
 * over-the-top file: reading it may or may not get a track out of it, but never silence). */
export type Verdict = 'track' | 'failed' | 'track-or-failed';

export interface HostileEntry {
  /** The path as the library spells it (the product's text for each name's bytes). */
  path: string;
  /** The same path as bytes, relative to the root. */
  bytes: Buffer;
  verdict: Verdict;
  why: string;
}

export interface HostileFolder {
  /** Every audio-named entry the sync can see, with its verdict. */
  entries: HostileEntry[];
  /** A folder the worker's user cannot list (undefined when no such folder could be made). */
  locked: { path: string; restore(): Promise<void> } | undefined;
  /** A file outside the root that links from inside point at; it must never be read. */
  outsideFile: string;
}

const ONE_MB = 1024 * 1024;

/** Joins name segments (text or raw bytes) into a relative path: bytes for the filesystem, text for the library. */
function rel(...segments: (string | Buffer)[]): { bytes: Buffer; text: string } {
  const parts = segments.map((s) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s));
  return {
    bytes: Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [Buffer.from('/'), p]))),
    text: parts.map((p) => bytesToText(p)).join('/'),
  };
}

async function writeAt(root: string, relBytes: Buffer, data: Uint8Array): Promise<void> {
  const abs = Buffer.concat([Buffer.from(root), Buffer.from('/'), relBytes]);
  const dir = abs.subarray(0, abs.lastIndexOf(0x2f));
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(abs, data);
}

/** An ID3v2.3 frame (v2.3 sizes are plain big-endian, not syncsafe). */
function id3Frame(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(10);
  header.write(id, 0, 'latin1');
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function id3Tag(frames: Buffer[]): Buffer {
  const body = Buffer.concat(frames);
  const size = body.length;
  const syncsafe = [(size >>> 21) & 0x7f, (size >>> 14) & 0x7f, (size >>> 7) & 0x7f, size & 0x7f];
  return Buffer.concat([Buffer.from('ID3', 'latin1'), Buffer.from([3, 0, 0, ...syncsafe]), body]);
}

/** An MP3 whose ID3 tag carries `lyricsBytes` of unsynchronised lyrics (USLT) and as much comment (COMM). */
export function mp3WithHugeLyrics(lyricsBytes: number, seed: number): Buffer {
  const text = (n: number) => Buffer.alloc(n, 'la la la '.repeat(8), 'latin1');
  const title = id3Frame('TIT2', Buffer.concat([Buffer.from([0]), Buffer.from('Ten Megabytes of Lyrics', 'latin1')]));
  // encoding 0 (Latin-1), language, empty content descriptor (NUL), then the text
  const uslt = id3Frame('USLT', Buffer.concat([Buffer.from([0]), Buffer.from('eng', 'latin1'), Buffer.from([0]), text(lyricsBytes)]));
  const comm = id3Frame('COMM', Buffer.concat([Buffer.from([0]), Buffer.from('eng', 'latin1'), Buffer.from([0]), text(ONE_MB)]));
  return Buffer.concat([id3Tag([title, uslt, comm]), encodeMpegFrames(40, seed)]);
}

/** A JPEG file's bytes (SOI, a JFIF APP0 segment, EOI). */
function jpeg(): Buffer {
  return Buffer.from([
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
    ...Buffer.alloc(2048, 0x20), 0xff, 0xd9,
  ]);
}

/**
 * Writes the hostile folder at `root` (which must exist). `outsideDir` is a folder beside it, outside
 * the root. With `lock`, one folder gets mode 000, which stops every user but root from listing it.
 */
export async function writeHostileFolder(root: string, outsideDir: string, lock: boolean): Promise<HostileFolder> {
  const entries: HostileEntry[] = [];
  let seed = 500;
  const track = async (verdict: Verdict, why: string, ...segments: (string | Buffer)[]) => {
    const at = rel(...segments);
    await writeAt(root, at.bytes, encodeMp3({ title: `Hostile ${seed}`, artists: ['Edge Case'], album: 'Hostile' }, seed++));
    entries.push({ path: at.text, bytes: at.bytes, verdict, why });
  };
  const raw = async (verdict: Verdict, why: string, data: Uint8Array, ...segments: (string | Buffer)[]) => {
    const at = rel(...segments);
    await writeAt(root, at.bytes, data);
    entries.push({ path: at.text, bytes: at.bytes, verdict, why });
  };

  // Names: each one a real song that must become a track under exactly that name.
  await track('track', 'a newline in the name', 'Names', 'new\nline.mp3');
  await track('track', 'a tab and a carriage return', 'Names', 'tab\there\rreturn.mp3');
  await track('track', 'quotes', 'Names', `quote "double" 'single' \`back\`.mp3`);
  await track('track', 'format directives', 'Names', '%s%n%x%d %1$s.mp3');
  await track('track', 'SQL', 'Names', "'; drop table tracks; --.mp3");
  await track('track', 'a backslash and a colon', 'Names', 'back\\slash: colon.mp3');
  await track('track', 'Latin-1 bytes, not UTF-8', 'Names', Buffer.from('Beyonc\xe9 - Halo.mp3', 'latin1'));
  await track('track', 'bytes no encoding decodes', 'Names', Buffer.concat([Buffer.from('bad '), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('.mp3')]));
  await track('track', 'a Latin-1 folder', 'Names', Buffer.from('Caf\xe9 Cr\xe8me', 'latin1'), 'song.mp3');
  await track('track', 'a 250-byte ASCII name', 'Long', `${'x'.repeat(246)}.mp3`);
  await track('track', 'a 250-byte UTF-8 name', 'Long', `${'é'.repeat(123)}.mp3`);
  const deep = Array.from({ length: 12 }, (_, i) => `${String(i).padStart(2, '0')}${'d'.repeat(238)}`);
  await track('track', 'a path of about 2,900 bytes', 'Deep', ...deep, 'deep.mp3');
  await track('track', 'a song inside a folder named x.mp3', 'Specials', 'dir', 'x.mp3', 'inner.mp3');

  // Not regular files, or not inside the root: never opened, each a failed item with a reason.
  const fifo = rel('Specials', 'fifo', 'x.mp3');
  await fs.mkdir(path.join(root, 'Specials', 'fifo'), { recursive: true });
  execFileSync('mkfifo', [path.join(root, 'Specials', 'fifo', 'x.mp3')]);
  entries.push({ path: fifo.text, bytes: fifo.bytes, verdict: 'failed', why: 'a FIFO' });
  const outsideFile = path.join(outsideDir, 'secret.mp3');
  await fs.mkdir(outsideDir, { recursive: true });
  await fs.writeFile(outsideFile, encodeMp3({ title: 'Outside' }, 999));
  const links: [string, string, string][] = [
    ['zero.mp3', '/dev/zero', 'a symlink to /dev/zero'],
    ['outside.mp3', outsideFile, 'a symlink to a file outside the root'],
    ['loop.mp3', 'loop.mp3', 'a symlink to itself'],
  ];
  for (const [name, target, why] of links) {
    await fs.symlink(target, path.join(root, 'Specials', name));
    const at = rel('Specials', name);
    entries.push({ path: at.text, bytes: at.bytes, verdict: 'failed', why });
  }
  // Linked folders (one leaving the root, one a loop): not followed, and no audio-named entry.
  await fs.symlink(outsideDir, path.join(root, 'Specials', 'outside-folder'));
  await fs.symlink('.', path.join(root, 'Specials', 'folder-loop'));

  // Files that only look like music.
  await raw('failed', 'an empty .mp3', new Uint8Array(0), 'Specials', 'empty.mp3');
  await raw('failed', 'a JPEG named .mp3', jpeg(), 'Specials', 'picture.mp3');
  const whole = encodeMp3({ title: 'Cut Short', artists: ['Edge Case'] }, 777, 80);
  await raw('track-or-failed', 'the first half of an MP3', whole.subarray(0, Math.floor(whole.length / 2)), 'Specials', 'truncated.mp3');

  // Tags at and past their limits: still songs.
  const nul = rel('Tags', 'nul-title.flac');
  await writeTrackFile(root, 'Tags/nul-title.flac', { title: 'before\0after', artists: ['Edge\0Case'] }, { seed: seed++ });
  entries.push({ path: nul.text, bytes: nul.bytes, verdict: 'track-or-failed', why: 'a FLAC title with a NUL byte' });
  const big = rel('Tags', 'huge-track-number.mp3');
  await writeTrackFile(root, 'Tags/huge-track-number.mp3', { title: 'Track 99999999999', trackNo: 99_999_999_999, discNo: 4_294_967_297, year: 99_999_999 }, { seed: seed++ });
  entries.push({ path: big.text, bytes: big.bytes, verdict: 'track-or-failed', why: 'track number 99999999999' });
  await raw('track-or-failed', '10 MB of lyrics and 1 MB of comment', mp3WithHugeLyrics(10 * ONE_MB, seed++), 'Tags', 'ten-megabyte-lyrics.mp3');

  // A folder its worker cannot list.
  let locked: HostileFolder['locked'];
  if (lock) {
    const dir = path.join(root, 'Locked');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'song.mp3'), encodeMp3({ title: 'Locked In' }, seed++));
    await fs.chmod(dir, 0o000);
    // And a file it may list but not read: that file fails alone, the sync goes on.
    const unreadable = rel('Specials', 'unreadable.mp3');
    await fs.writeFile(path.join(root, 'Specials', 'unreadable.mp3'), encodeMp3({ title: 'Keep Out' }, seed++));
    await fs.chmod(path.join(root, 'Specials', 'unreadable.mp3'), 0o000);
    entries.push({ path: unreadable.text, bytes: unreadable.bytes, verdict: 'failed', why: 'a file its worker may not read' });
    locked = { path: 'Locked', restore: () => fs.chmod(dir, 0o755) };
  }
  return { entries, locked, outsideFile };
}
