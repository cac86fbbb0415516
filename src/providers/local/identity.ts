import type { BigIntStats } from 'node:fs';

/**
 * A local file's id: `dev:ino:btime`, its device, inode and birth time in nanoseconds. A rename, a
 * move within the device and a rewrite in place keep all three. The birth time tells a new file
 * apart from a deleted one whose inode the file system handed out again (Linux does, within
 * seconds). Where the file system keeps no birth time (Node reports 0) the id is `dev:ino`; the
 * library confirms every rename found by id with the file's content anyway.
 *
 * Never ctime: it changes on rename and retag. (libuv reports ctime as the birth time only without
 * statx: Linux before 4.11, which Node 22 and later do not support, or a seccomp filter that blocks
 * it, as Docker's did before 18.04.)
 */
export function fileIdOf(stat: BigIntStats): string {
  const base = `${stat.dev}:${stat.ino}`;
  return stat.birthtimeNs > 0n ? `${base}:${stat.birthtimeNs}` : base;
}
