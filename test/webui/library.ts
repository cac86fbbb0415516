// A library big enough that its sync is still running while a browser finds it in the Web UI: copies of
// the small real files of the sample corpus (generated tracks where the corpus is absent).
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/stack/temporal.ts';
import { generateLibrary } from '../../src/testing/fixtures.ts';

export const CORPUS = path.join(REPO_ROOT, '..', 'shared', 'corpus', 'music-metadata-samples');

/** Corpus files up to this size: most of its formats, little to copy. */
const SMALL_FILE = 100 * 1024;

async function smallFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await fs.stat(file)).size <= SMALL_FILE) found.push(path.relative(dir, file));
  }
  return found.sort();
}

/** Writes at least `count` audio files under `root` (copies of the corpus's small files in folders
 * `copy-01`, `copy-02`...), and answers how many files it wrote. */
export async function writeLibrary(root: string, count: number): Promise<number> {
  if (!existsSync(CORPUS)) return (await generateLibrary(root, count, 7)).length;
  const files = await smallFiles(CORPUS);
  const copies = Math.ceil(count / files.length);
  for (let copy = 1; copy <= copies; copy++) {
    const dir = path.join(root, `copy-${String(copy).padStart(2, '0')}`);
    for (const rel of files) {
      await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await fs.copyFile(path.join(CORPUS, rel), path.join(dir, rel));
    }
  }
  return copies * files.length;
}
