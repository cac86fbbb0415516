// The argument of a Dropbox content endpoint travels in the `Dropbox-API-Arg` header as JSON made
// "HTTP header safe": 0x7F and every non-ASCII character written as a JSON `\uXXXX` escape
// (https://www.dropbox.com/developers/reference/json-encoding). A name like `Café` would otherwise
// reach the server as Latin-1 bytes, or fail in fetch for characters beyond U+00FF.

/** JSON.stringify(value) with 0x7F and everything above it as `\uXXXX` (UTF-16 units, as JSON has). */
export function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
