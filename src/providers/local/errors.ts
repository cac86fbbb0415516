import { getSystemErrorMessage } from 'node:util';
import { ProviderError } from '../types.ts';

/** The errno code of a failed file-system call, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** True when the failure says the thing is simply not there (any more): nothing to report. */
export function isGone(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A failure as people read it, without the path: `EACCES (permission denied)`. */
export function errnoReason(err: unknown): string {
  const { code, errno } = (err ?? {}) as NodeJS.ErrnoException;
  if (!code) return (err as Error | undefined)?.message ?? String(err);
  let text: string | undefined;
  try {
    text = typeof errno === 'number' ? getSystemErrorMessage(errno) : undefined;
  } catch {
    text = undefined;
  }
  return text ? `${code} (${text})` : code;
}

/** The provider's verdict on a failed file-system call about `where` (a path for people). */
export function toProviderError(err: unknown, where: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const code = errnoCode(err);
  if (isGone(err)) return new ProviderError('notFound', `${where} does not exist`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new ProviderError('forbidden', `${where} is not readable`, { cause: err });
  // Failures that a retry cannot mend: a link loop, a name the system refuses, not a file at all.
  if (code === 'ELOOP' || code === 'ENAMETOOLONG' || code === 'ENXIO' || code === 'EISDIR') {
    return new ProviderError('invalid', `${where}: ${errnoReason(err)}`, { cause: err });
  }
  return new ProviderError('unavailable', `${where}: ${(err as Error).message}`, { cause: err });
}
