// Over a network with a provider hash only the tags' ranges and the audio's two ends are read; the
// files the full read finds cut must still be found cut. The sample corpus holds 30-odd cut files of
// every kind (MPEG Xing counts, last MPEG/ADTS/FLAC frames, Ogg pages, MP4 boxes, WAV chunks).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { filterFile } from '../../src/media/audio-formats.ts';
import { readTrack } from '../../src/media/read-track.ts';
import { LocalProvider } from '../../src/providers/local/index.ts';
import type { RandomAccessReader, StorageProvider } from '../../src/providers/types.ts';
import { REPO_ROOT } from '../../src/stack/temporal.ts';

const CORPUS = path.resolve(process.env.MUSIC_SYNC_CORPUS ?? path.join(REPO_ROOT, '../shared/corpus/music-metadata-samples'));

test('reading tags and the audio\'s ends finds every cut file a full read finds, for a share of the bytes', { skip: existsSync(CORPUS) ? false : `no corpus at ${CORPUS}` }, async (t) => {
  const local = new LocalProvider(CORPUS);
  // The same files seen as a network provider's that lists content hashes: the tags-only path.
  let opened = 0;
  const remote: StorageProvider = {
    kind: 'hashed', usesNetwork: true, validate: () => local.validate(), list: (p, n) => local.list(p, n),
    open: async (file) => {
      const reader = await local.open(file);
      let bytes = 0;
      opened += 1;
      const counted: RandomAccessReader & { bytesTransferred: number } = {
        size: reader.size,
        close: () => reader.close(),
        get bytesTransferred() { return bytes; },
        read: async (buffer, offset, length, position) => {
          const n = await reader.read(buffer, offset, length, position);
          bytes += n;
          return n;
        },
      };
      return counted;
    },
  };
  const names = (await readdir(CORPUS, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile()).map((e) => path.relative(CORPUS, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((f) => filterFile({ path: f, size: 1, mimeType: null }, Number.MAX_SAFE_INTEGER).keep).sort();
  let cut = 0;
  let fullBytes = 0;
  let endsBytes = 0;
  for (const f of names) {
    const full = await readTrack(local, { fileId: f, path: f, mimeType: null }, { parseTimeoutMs: 30_000 })
      .then((r) => { fullBytes += r.bytesRead; return 'read'; }, (e: Error) => e.message);
    const ends = await readTrack(remote, { fileId: f, path: f, mimeType: null, providerHash: 'md5:0' }, { parseTimeoutMs: 30_000 })
      .then((r) => { endsBytes += r.bytesRead; return 'read'; }, (e: Error) => e.message);
    assert.equal(ends, full, f);
    if (/truncated/.test(full)) cut += 1;
  }
  assert.ok(cut >= 25, `the corpus has cut files (${cut})`);
  assert.ok(opened > 150);
  t.diagnostic(`${names.length} files, ${cut} cut; bytes read: ${fullBytes} whole, ${endsBytes} tags and ends`);
});
