// The one way a file fails for good: it can never become a track as it is (corrupt, unsupported,
// empty, truncated). Activities record it with its message and never retry it.

/** A file that can never become a track as it is (corrupt, unsupported, empty): not retried. */
export class UnreadableFileError extends Error {
  /** Bytes transferred before the verdict (set by the reader, for the file's record). */
  bytesRead = 0;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreadableFileError';
  }
}

/** A file whose own structure says bytes are missing at its end. */
export class TruncatedFileError extends UnreadableFileError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`file is truncated: ${detail}`, options);
    this.name = 'TruncatedFileError';
  }
}

export const truncated = (detail: string): TruncatedFileError => new TruncatedFileError(detail);
