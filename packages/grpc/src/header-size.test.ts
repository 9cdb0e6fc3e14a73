import { describe, expect, it } from 'vitest';
import { fitsOneHeader, headerStringBytes, MAX_HEADER_STRING_BYTES } from './header-size.js';

describe('headerStringBytes / fitsOneHeader (one HTTP/2 header as Node sends and decodes it)', () => {
  it('counts a string Huffman-coded when that is shorter, else as it is', () => {
    expect(headerStringBytes('a'.repeat(8))).toBe(5); // 'a' is 5 bits
    expect(headerStringBytes('\u0000'.repeat(8))).toBe(8); // 13 bits each: sent as it is
    expect(headerStringBytes('')).toBe(0);
  });

  it('draws the line where Node does: 65,536 bytes fit, 65,537 do not', () => {
    // Measured against a grpc-js server: 104,857 × 'a' (65,536 bytes coded) is served; 104,858
    // (65,537) drops the connection with COMPRESSION_ERROR.
    expect(MAX_HEADER_STRING_BYTES).toBe(65_536);
    expect(headerStringBytes('a'.repeat(104_857))).toBe(65_536);
    expect(fitsOneHeader('a'.repeat(104_857))).toBe(true);
    expect(fitsOneHeader('a'.repeat(104_858))).toBe(false);
  });

  it('takes any short string without counting it', () => {
    expect(fitsOneHeader('x'.repeat(21_845))).toBe(true);
    expect(fitsOneHeader('\u00ff'.repeat(21_845))).toBe(true); // 2 UTF-8 bytes each: 43,690
  });
});
