/**
 * The call scope of a plain node:http handler that reads its body with 'data'/'end' listeners: the
 * body arrives after the handler returned, and the listeners still see the caller's deadline and
 * trace, which outgoing calls made there inherit.
 */
import { SpanKind, trace } from '@opentelemetry/api';
import { currentCallScope } from '@switchyard/core';
import { initTracing, type Tracing } from '@switchyard/tracing';
import { request as plainRequest } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

let tracing: Tracing;
let loopback: Loopback;
beforeAll(() => {
  tracing = initTracing({ serviceName: 'http-request-events', exporter: 'memory' });
});
afterAll(() => tracing.shutdown());
beforeEach(() => {
  loopback = new Loopback();
  tracing.memoryExporter?.reset();
});
afterEach(() => loopback.cleanup());

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

/** Starts a handler that counts its body in 'data' listeners and runs `atEnd` in its 'end' listener. */
async function servingBodyReader(atEnd: () => void): Promise<number> {
  const { port } = await loopback.serve('a', (request, response) => {
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    request.on('end', () => {
      // Where a handler would call its downstream (catalog.postJson(...)).
      atEnd();
      json(response, 200, { size });
    });
  });
  return port;
}

async function upload(port: number, headers: Record<string, string>): Promise<unknown> {
  const reply = await plainRequest(`http://127.0.0.1:${port}/upload`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', ...headers },
    body: Buffer.alloc(1_000_000, 1),
  });
  return reply.body.json();
}

describe("request 'data'/'end' listeners of a plain node:http handler", () => {
  it("run with the caller's deadline, which outgoing calls made there inherit", async () => {
    let deadlineAtEnd: number | null | undefined;
    const port = await servingBodyReader(() => {
      deadlineAtEnd = currentCallScope()?.deadline ?? null;
    });
    const before = Date.now();
    expect(await upload(port, { 'x-switchyard-deadline-ms': '5000' })).toEqual({ size: 1_000_000 });
    // Before the fix: null (no scope): an outgoing call got the client's default 10 s, not what was left of 5 s.
    expect(deadlineAtEnd).toBeGreaterThan(before);
    expect(deadlineAtEnd).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it("run in the caller's trace, under the request's SERVER span", async () => {
    let spanAtEnd: { traceId: string; spanId: string } | undefined;
    const port = await servingBodyReader(() => {
      spanAtEnd = trace.getActiveSpan()?.spanContext();
    });
    expect(await upload(port, { traceparent: TRACEPARENT })).toEqual({ size: 1_000_000 });
    // Before the fix: no active span: an outgoing call made there started a new trace.
    expect(spanAtEnd?.traceId).toBe(TRACE_ID);
    await expect.poll(() => tracing.getFinishedSpans().some((span) => span.kind === SpanKind.SERVER)).toBe(true);
    const server = tracing.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER);
    expect(spanAtEnd?.spanId).toBe(server?.spanContext().spanId);
  });
});
