// Names the CLI derives (kept free of service imports, so tests and help load it cheaply).
import path from 'node:path';

/** A valid profile name (letters, digits, '.', '_', '-'; at most 64) from a folder's name. */
export function profileNameFor(root: string): string {
  const cleaned = path
    .basename(root)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // "Musique é" -> "Musique e" rather than "Musique-"
    .replace(/[^\w.-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 56); // room for a "-NN" suffix
  return cleaned || 'library';
}
