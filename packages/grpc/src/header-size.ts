// How large one header's name or value is on the wire, against what Node's HTTP/2 accepts.
//
// Node's HTTP/2 (nghttp2) refuses to decode a header name or value whose HPACK string is over
// 65,536 bytes, and treats it as a connection error (COMPRESSION_ERROR): the connection goes, and
// every call on it fails (or, on the client side, wedges until its deadline), not only the call
// that carried the header. Both sides of a grpc-js call decode with it: a server the caller's
// metadata, a client the server's trailers (`grpc-message` among them).

/** The longest HPACK string (one header name or value) Node's HTTP/2 decodes: nghttp2's NGHTTP2_HD_MAX_NV. */
export const MAX_HEADER_STRING_BYTES = 65_536;

/**
 * The bit length of each byte's code in HPACK's static Huffman code (RFC 7541, Appendix B). Only
 * the lengths: what a string costs encoded, not the encoding itself.
 */
// biome-ignore format: the RFC's table, 16 bytes a row
const HUFFMAN_CODE_BITS = Uint8Array.from([
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
]);

/**
 * The bytes `text` takes as an HPACK string when Node's HTTP/2 sends it: Huffman-coded when that
 * is shorter, else as it is (nghttp2's choice). Header text is ASCII in gRPC (values are printable
 * ASCII, binary ones base64); anything else is counted by its UTF-8 bytes.
 */
export function headerStringBytes(text: string): number {
  const bytes = Buffer.from(text);
  let bits = 0;
  for (const byte of bytes) bits += HUFFMAN_CODE_BITS[byte] as number;
  return Math.min(bytes.length, Math.ceil(bits / 8));
}

/** Whether Node's HTTP/2 accepts `text` as one header name or value (see MAX_HEADER_STRING_BYTES). */
export function fitsOneHeader(text: string): boolean {
  // At most 3 UTF-8 bytes a UTF-16 unit, and never longer Huffman-coded: short text fits, uncounted.
  return text.length * 3 <= MAX_HEADER_STRING_BYTES || headerStringBytes(text) <= MAX_HEADER_STRING_BYTES;
}
