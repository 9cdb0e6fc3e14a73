/**
 * A trace and its baggage survive an HTTP hop whose server and client disagree about tracing: the
 * server's tracing off and the client's on (the client started a new trace, dropping the caller's
 * baggage), or the other way round (nothing was forwarded at all).
 */
import { initTracing } from '@switchyard/tracing';
import { request as plainRequest } from 'undici';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

it.each([
  ['server tracing off, client tracing on', false, true],
  ['server tracing on, client tracing off', true, false],
])('forwards trace context and baggage: %s', async (_label, serverTracing, clientTracing) => {
  const tracing = initTracing({ serviceName: 'mixed-http', exporter: 'memory' });
  loopback.onCleanup(() => tracing.shutdown());
  let seen: { traceparent?: string; baggage?: string } = {};
  await loopback.serve(
    'b1',
    (request, response) => {
      seen = { traceparent: String(request.headers.traceparent), baggage: String(request.headers.baggage) };
      json(response, 200, {});
    },
    { service: 'b' },
  );
  const toB = await loopback.client('b', { tracing: clientTracing });
  const { port } = await loopback.serve(
    'a1',
    async (_request, response) => json(response, 200, await toB.getJson('/hop')),
    { service: 'a', server: { tracing: serverTracing } },
  );
  const reply = await plainRequest(`http://127.0.0.1:${port}/x`, {
    headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', baggage: 'tenant=acme' },
  });
  expect(reply.statusCode).toBe(200);
  await reply.body.dump();
  expect(seen.traceparent).toContain('0af7651916cd43dd8448eb211c80319c');
  expect(seen.baggage).toContain('tenant=acme');
});
