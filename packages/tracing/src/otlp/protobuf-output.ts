/**
 * A growable protobuf output buffer, written front to back in one pass. Length-delimited fields
 * reserve room for their length, and {@link ProtobufOutput.end} moves the body when the length
 * turns out to need more (or fewer) bytes, so the output is always the canonical encoding.
 */
export class ProtobufOutput {
  bytes: Buffer;
  pos = 0;

  constructor(initialSize = 64 * 1024) {
    // Unsafe (not zero-filled) is fine: only the bytes written are ever handed out.
    this.bytes = Buffer.allocUnsafe(initialSize);
  }

  /** Starts over in `bytes` (memory to reuse), from its start. */
  reset(bytes: Buffer): void {
    this.bytes = bytes;
    this.pos = 0;
  }

  /** Makes room for `size` more bytes. */
  ensure(size: number): void {
    const needed = this.pos + size;
    if (needed <= this.bytes.length) return;
    let length = Math.max(this.bytes.length, 64) * 2;
    while (length < needed) length *= 2;
    const grown = Buffer.allocUnsafe(length);
    this.bytes.copy(grown, 0, 0, this.pos);
    this.bytes = grown;
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Uint8Array {
    return this.bytes.subarray(0, this.pos);
  }

  /** A field key: field number and wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32). */
  tag(field: number, wireType: number): void {
    this.uint32((field << 3) | wireType);
  }

  /** An unsigned varint below 2^32. */
  uint32(value: number): void {
    this.ensure(5);
    const bytes = this.bytes;
    let v = value >>> 0;
    while (v > 0x7f) {
      bytes[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    bytes[this.pos++] = v;
  }

  /** A varint of any safe integer; negative values take ten bytes (two's complement int64). */
  int64(value: number): void {
    if (value >= 0 && value <= 0xffffffff) {
      this.uint32(value);
      return;
    }
    this.ensure(10);
    const abs = Math.abs(value);
    let low = abs >>> 0;
    let high = (abs / 0x100000000) >>> 0;
    if (value < 0) {
      low = (~low + 1) >>> 0;
      high = (~high + (low === 0 ? 1 : 0)) >>> 0;
    }
    const bytes = this.bytes;
    while (high > 0 || low > 0x7f) {
      bytes[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    bytes[this.pos++] = low;
  }

  fixed32(value: number): void {
    this.ensure(4);
    const bytes = this.bytes;
    const v = value >>> 0;
    bytes[this.pos++] = v & 0xff;
    bytes[this.pos++] = (v >>> 8) & 0xff;
    bytes[this.pos++] = (v >>> 16) & 0xff;
    bytes[this.pos++] = v >>> 24;
  }

  fixed64(low: number, high: number): void {
    this.fixed32(low);
    this.fixed32(high);
  }

  double(value: number): void {
    this.ensure(8);
    new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8).setFloat64(0, value, true);
    this.pos += 8;
  }

  /** Length-prefixed raw bytes. */
  lengthPrefixed(value: Uint8Array): void {
    this.uint32(value.length);
    this.raw(value);
  }

  /** Bytes copied as they are (an already encoded field, say). */
  raw(value: Uint8Array): void {
    const length = value.length;
    this.ensure(length);
    const bytes = this.bytes;
    if (length <= 32) {
      // For the short pieces this writer copies most, a loop beats set()'s call overhead.
      for (let i = 0; i < length; i++) bytes[this.pos + i] = value[i] as number;
    } else {
      bytes.set(value, this.pos);
    }
    this.pos += length;
  }

  /** A length-prefixed UTF-8 string (lone surrogates become U+FFFD, as with TextEncoder). */
  string(value: string): void {
    const length = value.length;
    if (length > 32) {
      // Long strings (URLs, stack traces): Node's native UTF-8 writer beats a loop.
      const size = Buffer.byteLength(value, 'utf8');
      this.uint32(size);
      this.ensure(size);
      this.pos += this.bytes.write(value, this.pos, size, 'utf8');
      return;
    }
    let ascii = true;
    for (let i = 0; i < length; i++) {
      if (value.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.uint32(length);
      this.ensure(length);
      const bytes = this.bytes;
      for (let i = 0; i < length; i++) bytes[this.pos++] = value.charCodeAt(i);
      return;
    }
    const size = Buffer.byteLength(value, 'utf8');
    this.uint32(size);
    this.ensure(size);
    this.pos += this.bytes.write(value, this.pos, size, 'utf8');
  }

  /**
   * Starts a length-delimited body: reserves `reserve` bytes for its length (pick what the usual
   * size needs) and returns where they are, for {@link end}.
   */
  begin(reserve = 1): number {
    this.ensure(reserve);
    const start = this.pos;
    this.pos += reserve;
    return start * 8 + reserve;
  }

  /** Ends the body begun at `marker`: writes its length, moving the body if the reserve was wrong. */
  end(marker: number): void {
    const reserve = marker & 7;
    const start = (marker - reserve) / 8;
    const length = this.pos - start - reserve;
    const needed = varintSize(length);
    if (needed !== reserve) {
      this.ensure(needed - reserve);
      this.bytes.copyWithin(start + needed, start + reserve, this.pos);
      this.pos += needed - reserve;
    }
    const bytes = this.bytes;
    let at = start;
    let v = length;
    while (v > 0x7f) {
      bytes[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    bytes[at] = v;
  }
}

/** Bytes a varint of `value` (below 2^32) takes. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}
