// The content hash a WebDAV server states, from ownCloud/Nextcloud's `oc:checksums` (`SHA1:… MD5:…
// ADLER32:…`). Never the ETag: an ETag only says "this version", and many servers make it from the
// modification time and size.

const KNOWN: readonly { algo: string; label: string; hexLength: number }[] = [
  { algo: 'md5', label: 'MD5', hexLength: 32 },
  { algo: 'sha1', label: 'SHA1', hexLength: 40 },
];

/** `md5:<hex>` when the server states an MD5, else `sha1:<hex>`, else null. */
export function providerHashOf(checksums: string | null): string | null {
  if (!checksums) return null;
  const stated = new Map<string, string>();
  for (const token of checksums.split(/[\s,]+/)) {
    const at = token.indexOf(':');
    if (at > 0) stated.set(token.slice(0, at).toUpperCase(), token.slice(at + 1).toLowerCase());
  }
  for (const { algo, label, hexLength } of KNOWN) {
    const hex = stated.get(label);
    if (hex !== undefined && hex.length === hexLength && /^[0-9a-f]+$/.test(hex)) return `${algo}:${hex}`;
  }
  return null;
}
