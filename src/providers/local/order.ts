/** Orders paths segment by segment, the order of a depth-first walk with sorted names. */
export function compareSegments(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/** True when `dir` is a folder on the way to `path` (and not `path` itself). */
export function isAncestor(dir: readonly string[], path: readonly string[]): boolean {
  return dir.length < path.length && dir.every((s, i) => s === path[i]);
}
