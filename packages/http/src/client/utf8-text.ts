/**
 * A response body's bytes as text, without a leading UTF-8 byte order mark, as undici's
 * `body.text()`/`json()` and `fetch` read it. `Buffer#toString` keeps the mark (U+FEFF), and
 * `JSON.parse` refuses it: a JSON reply written with a BOM (some .NET and PowerShell writers,
 * static files) failed every `getJson` as INTERNAL and counted against the instance.
 */
export function utf8Text(bytes: Buffer): string {
  const hasBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.toString('utf8', hasBom ? 3 : 0);
}
