import { Blob } from 'node:buffer';
import { Readable } from 'node:stream';
import { utf8Text } from './utf8-text.js';
import type { HttpResponseBody } from './http-client-types.js';

/**
 * Reads at most `maxBytes` of a body, then lets go of the rest (the connection is freed). Used
 * for error responses, whose body is kept on the HttpCallError.
 */
export async function readBounded(body: Readable, maxBytes: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    if (size + buffer.length > maxBytes) {
      chunks.push(buffer.subarray(0, maxBytes - size));
      size = maxBytes;
      truncated = true;
      body.destroy();
      break;
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  return { bytes: Buffer.concat(chunks, size), truncated };
}

/** A response body already held in memory, with the same consumers as undici's. */
export class BufferedBody extends Readable implements HttpResponseBody {
  private used = false;

  constructor(private readonly content: Buffer) {
    super();
  }

  override _read(): void {
    this.used = true;
    this.push(this.content.length > 0 ? this.content : null);
    if (this.content.length > 0) this.push(null);
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  private takeContent(): Buffer {
    if (this.used) throw new TypeError('Body is unusable: the body has already been read');
    this.used = true;
    this.destroy();
    return this.content;
  }

  async text(): Promise<string> {
    return utf8Text(this.takeContent());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.takeContent();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(this.takeContent());
  }

  async blob(): Promise<Blob> {
    return new Blob([this.takeContent()]);
  }

  async dump(): Promise<void> {
    if (!this.used) this.takeContent();
  }
}
