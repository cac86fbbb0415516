// Which listed files are audio: MIME audio/* or application/ogg, or the extension of any format that
// music-metadata 12 parses (its parsers' `extensions`, normalised to a leading dot).
export const AUDIO_EXTENSIONS: ReadonlySet<string> = new Set([
  // MPEG audio and ADTS
  '.mp1', '.mp2', '.mp3', '.m2a', '.aac', '.aacp',
  '.flac',
  // Ogg family
  '.ogg', '.oga', '.ogv', '.ogm', '.ogx', '.opus', '.spx',
  '.wv', '.wvp',
  '.aif', '.aiff', '.aifc',
  // MP4 / QuickTime
  '.mp4', '.m4a', '.m4b', '.m4pa', '.m4v', '.m4r', '.3gp', '.mov', '.movie', '.qt',
  '.mpc',
  // Matroska / WebM
  '.mka', '.mkv', '.mk3d', '.mks', '.webm',
  '.ape', '.dff', '.dsf',
  '.asf', '.wma', '.wmv',
  '.wav', '.wave', '.bwf',
]);

export function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

export function isAudioMime(mime: string | null | undefined): boolean {
  if (!mime) return false;
  const m = mime.toLowerCase();
  return m.startsWith('audio/') || m === 'application/ogg';
}

export type FilterVerdict = { keep: true } | { keep: false; reason: string };

export function filterFile(file: { path: string; size: number; mimeType: string | null }, maxFileSize: number): FilterVerdict {
  if (!isAudioMime(file.mimeType) && !AUDIO_EXTENSIONS.has(extensionOf(file.path))) {
    return { keep: false, reason: 'not an audio file' };
  }
  if (file.size > maxFileSize) return { keep: false, reason: `larger than maxFileSize (${maxFileSize} bytes)` };
  return { keep: true };
}
