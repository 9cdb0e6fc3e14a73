import { once } from 'node:events';
import http, { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import { afterEach, describe, expect, it } from 'vitest';
import { type OtlpHttpTarget, retryAfterMillis, sendOtlpHttp } from './otlp-http-send.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A real collector on loopback that answers every request with `answer`. */
async function collector(answer: (response: ServerResponse) => void): Promise<{ url: URL; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks) });
      answer(response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`), received };
}

function target(url: URL, compression: 'gzip' | 'none' = 'none'): OtlpHttpTarget {
  const agent = new http.Agent({ keepAlive: true });
  closers.push(async () => agent.destroy());
  return {
    url,
    headers: { 'Content-Type': 'application/x-protobuf', 'User-Agent': 'test', 'X-Tenant': 'shop' },
    compression,
    agent,
    request: http.request,
  };
}

const BODY = new Uint8Array(Buffer.from('an encoded ExportTraceServiceRequest'));

describe('sendOtlpHttp against a real collector', () => {
  it('posts the body in one sized request (no chunked encoding) with the configured headers, and returns the answer', async () => {
    const { url, received } = await collector((response) => response.writeHead(200).end(Buffer.from([8, 1])));
    const result = await sendOtlpHttp(target(url), BODY, 5_000);
    expect(result).toEqual({ status: 'success', data: Buffer.from([8, 1]) });
    expect(received).toHaveLength(1);
    expect(received[0]?.body.equals(Buffer.from(BODY))).toBe(true);
    expect(received[0]?.headers).toMatchObject({
      'content-length': String(BODY.byteLength),
      'content-type': 'application/x-protobuf',
      'x-tenant': 'shop',
    });
    expect(received[0]?.headers['transfer-encoding']).toBeUndefined();
  });

  it('gzips the body when compression is gzip', async () => {
    const { url, received } = await collector((response) => response.writeHead(200).end());
    expect((await sendOtlpHttp(target(url, 'gzip'), BODY, 5_000)).status).toBe('success');
    expect(received[0]?.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(received[0]?.body ?? Buffer.alloc(0)).equals(Buffer.from(BODY))).toBe(true);
  });

  it('reports 429/502/503/504 as retryable, with the wait Retry-After asks for', async () => {
    for (const status of [429, 502, 503, 504]) {
      const { url } = await collector((response) => response.writeHead(status, { 'Retry-After': '2' }).end());
      expect(await sendOtlpHttp(target(url), BODY, 5_000)).toEqual({ status: 'retryable', retryInMillis: 2_000 });
    }
  });

  it('reports any other status as a failure carrying the status and the collector’s body', async () => {
    const { url } = await collector((response) => response.writeHead(400).end('span 3 has no name'));
    const result = await sendOtlpHttp(target(url), BODY, 5_000);
    expect(result.status).toBe('failure');
    const error = result.status === 'failure' ? result.error : undefined;
    expect(error).toBeInstanceOf(OTLPExporterError);
    expect(error).toMatchObject({ code: 400, data: 'span 3 has no name' });
  });

  it('reports a refused connection as retryable', async () => {
    const { url } = await collector(() => {});
    for (const close of closers.splice(0)) await close();
    const result = await sendOtlpHttp(target(url), BODY, 5_000);
    expect(result).toMatchObject({ status: 'retryable', error: { code: 'ECONNREFUSED' } });
  });

  it('gives up on a collector that does not answer within the timeout (retryable)', async () => {
    const { url } = await collector(() => {}); // never answers
    const started = Date.now();
    const result = await sendOtlpHttp(target(url), BODY, 200);
    expect(result.status).toBe('retryable');
    expect(result.status === 'retryable' ? result.error?.message : '').toContain('timed out after 200 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails an answer larger than 4 MiB instead of buffering it', async () => {
    const { url } = await collector((response) => response.writeHead(200).end(Buffer.alloc(5 * 1024 * 1024)));
    const result = await sendOtlpHttp(target(url), BODY, 5_000);
    expect(result.status).toBe('failure');
    expect(result.status === 'failure' ? result.error.message : '').toContain('exceeded');
  });
});

describe('retryAfterMillis', () => {
  it('reads seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    expect(retryAfterMillis('3', now)).toBe(3_000);
    expect(retryAfterMillis('Sun, 22 Nov 2026 12:00:05 GMT', now)).toBe(5_000);
    expect(retryAfterMillis('Sun, 22 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterMillis('soon', now)).toBeUndefined();
    expect(retryAfterMillis(undefined, now)).toBeUndefined();
  });
});
