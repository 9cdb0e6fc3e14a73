/**
 * One HTTP/2 header over what Node's HTTP/2 decoder takes (nghttp2: a name or value whose HPACK
 * string is over 65,536 bytes) is a connection error for the peer that receives it: it drops (or
 * wedges) the whole connection, and every call on it fails, not just the one that carried the header.
 *
 * - Client side, the caller's metadata: refused as INVALID_ARGUMENT naming the key, before
 *   anything is sent. Before the fix, the call failed INTERNAL ("Received RST_STREAM with code 9")
 *   and so did every other call in flight on the connection, whose handlers had run.
 * - Server side, a handler's failure: its details are cut to what can be sent, and a trailer too
 *   large for one header is left out (logged at error, naming it); the status goes out as the
 *   handler chose it. Before the fix, the client's connection wedged: that call, the calls in flight
 *   beside it, and the next call on it all waited out their deadlines (DEADLINE_EXCEEDED).
 */
import { randomBytes } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { createGrpcClient, createGrpcServer, GrpcCallError, grpcError } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { discovered, discoveredEcho, echoImplementation, EchoService, type EchoSayClient } from './fixtures/echo.js';
import { recordingLogger } from './fixtures/recording-logger.js';

const cleanups = cleanupsAfterEach();

async function settle<T>(promise: Promise<T>) {
  try {
    return { value: await promise };
  } catch (error) {
    return {
      error: error as { code?: string; field?: string; message: string; details?: string; metadata?: Metadata },
    };
  }
}

/** One client on one connection, warmed up; `say` with a deadline of its own. */
function clientOf(discovery: Parameters<typeof createGrpcClient>[0]['discovery']) {
  const echo = createGrpcClient({
    definition: EchoService,
    discovery,
    policy: false,
    channelsPerInstance: 1,
  }) as unknown as EchoSayClient;
  cleanups.push(() => echo.close());
  return echo;
}

/** A call made while another is in flight on the same (single) connection, then one more after it. */
async function besideACallInFlight(echo: EchoSayClient, call: () => Promise<unknown>) {
  await echo.say({ message: 'warm-up' }); // connected: later calls take the fast lane
  const inFlight = settle(echo.say({ message: 'slow', delayMs: 400 }, { deadlineMs: 3_000 }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const outcome = await settle(call());
  const after = await settle(echo.say({ message: 'after' }, { deadlineMs: 2_000 }));
  return { outcome, inFlight: await inFlight, after };
}

describe('caller metadata too large for one HTTP/2 header', () => {
  it.each([
    ['a text value', { 'x-big': 'q'.repeat(80_000) }, 'options.metadata.x-big'],
    // 100 kB as base64, ~100 kB on the wire: grpc-js sends a -bin value base64-encoded.
    ['a -bin value', { 'x-big-bin': randomBytes(100_000) }, 'options.metadata.x-big-bin'],
  ] as [string, Record<string, unknown>, string][])(
    '%s over 64 KiB as sent is refused naming its key, and the call in flight completes',
    async (_case, metadata, field) => {
      const { discovery } = await discoveredEcho(cleanups);
      const echo = clientOf(discovery);
      const { outcome, inFlight, after } = await besideACallInFlight(echo, () =>
        echo.say({ message: 'big' }, { metadata, deadlineMs: 3_000 }),
      );
      expect(outcome.error).toMatchObject({ code: 'INVALID_ARGUMENT', field });
      expect(outcome.error?.message).toMatch(/65536 bytes/);
      expect(inFlight).toEqual({ value: expect.objectContaining({ message: 'slow' }) });
      expect(after).toEqual({ value: expect.objectContaining({ message: 'after' }) });
    },
  );

  it('a Metadata instance with such a value is refused too', async () => {
    const { discovery } = await discoveredEcho(cleanups);
    const echo = clientOf(discovery);
    const metadata = new Metadata();
    metadata.set('x-big', 'q'.repeat(80_000));
    await expect(echo.say({ message: 'big' }, { metadata })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.metadata.x-big',
    });
  });

  it('a long value that HPACK compresses under the limit is still sent (the limit is on the wire size)', async () => {
    let seen = '';
    const implementation = echoImplementation('a');
    const server = createGrpcServer({
      services: [
        {
          definition: EchoService,
          implementation: {
            ...implementation,
            say: (request: object, context: { metadata: Metadata }) => {
              seen = String(context.metadata.get('x-long')[0]);
              return implementation.say(request, context as never);
            },
          },
        },
      ],
    });
    const { discovery } = await discovered(server, cleanups);
    const echo = clientOf(discovery);
    // 100,000 × 'a' is 62,500 bytes once Huffman-coded (5 bits each): under the limit.
    const value = 'a'.repeat(100_000);
    expect((await echo.say({ message: 'ok' }, { metadata: { 'x-long': value } })).message).toBe('ok');
    expect(seen).toBe(value);
  });
});

describe('caller metadata with more entries than a grpc-js server takes', () => {
  const entries = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-k${i}`, 'v']));

  it('over 115 entries is refused naming options.metadata, not answered RESOURCE_EXHAUSTED as overload', async () => {
    const { discovery } = await discoveredEcho(cleanups);
    const echo = clientOf(discovery);
    // Node's HTTP/2 takes 128 header fields in a request; gRPC's own and tracing's use up to 13.
    await expect(echo.say({ message: 'many' }, { metadata: entries(130) })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.metadata',
    });
    // Repeated values of one key are separate header fields, and count each.
    await expect(
      echo.say({ message: 'many' }, { metadata: { ...entries(100), 'x-list': Array(20).fill('v') } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'options.metadata' });
    const metadata = new Metadata();
    for (let i = 0; i < 116; i++) metadata.add('x-tag', String(i));
    await expect(echo.say({ message: 'many' }, { metadata })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.metadata',
    });
  });

  it('115 entries are still sent', async () => {
    const { discovery } = await discoveredEcho(cleanups);
    const echo = clientOf(discovery);
    expect((await echo.say({ message: 'ok' }, { metadata: entries(115) })).message).toBe('ok');
  });
});

describe("a handler's failure too large for one HTTP/2 header", () => {
  /** An echo server whose `say` of message 'big' throws `failure()`; its log lines are recorded. */
  async function serverFailingWith(failure: () => Error) {
    const { logger, logged } = recordingLogger();
    const implementation = echoImplementation('a');
    const server = createGrpcServer({
      logger,
      services: [
        {
          definition: EchoService,
          implementation: {
            ...implementation,
            say: (request: { message?: string }, context: never) => {
              if (request.message === 'big') throw failure();
              return implementation.say(request, context);
            },
          },
        },
      ],
    });
    const { discovery } = await discovered(server, cleanups);
    return { echo: clientOf(discovery), logged };
  }

  it('long details are cut to what one header carries; the status, and the calls beside it, go through', async () => {
    // A validation message quoting a large input: ~150 kB once percent-encoded (each space is %20).
    const details = `bad input: ${'a b'.repeat(30_000)}`;
    const { echo } = await serverFailingWith(() => grpcError('INVALID_ARGUMENT', details));
    const { outcome, inFlight, after } = await besideACallInFlight(echo, () =>
      echo.say({ message: 'big' }, { deadlineMs: 3_000 }),
    );
    expect(outcome.error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    const sent = outcome.error?.details ?? '';
    expect(sent.startsWith('bad input: a ba b')).toBe(true);
    expect(sent.endsWith('… (truncated)')).toBe(true);
    expect(encodeURI(sent).length).toBeLessThanOrEqual(65_536);
    expect(inFlight).toEqual({ value: expect.objectContaining({ message: 'slow' }) });
    expect(after).toEqual({ value: expect.objectContaining({ message: 'after' }) });
  });

  it('a trailer too large for one header is left out and logged; the others, and the status, are sent', async () => {
    const { echo, logged } = await serverFailingWith(() => {
      const metadata = new Metadata();
      metadata.set('x-small', 'kept');
      metadata.set('x-huge', 'q'.repeat(80_000));
      return new GrpcCallError(5 /* NOT_FOUND */, 'no such thing', { metadata });
    });
    const { outcome, inFlight, after } = await besideACallInFlight(echo, () =>
      echo.say({ message: 'big' }, { deadlineMs: 3_000 }),
    );
    expect(outcome.error).toMatchObject({ code: 'NOT_FOUND', details: 'no such thing' });
    expect(outcome.error?.metadata?.get('x-small')).toEqual(['kept']);
    expect(outcome.error?.metadata?.get('x-huge')).toEqual([]);
    expect(logged.some((line) => line.includes('x-huge'))).toBe(true);
    expect(inFlight).toEqual({ value: expect.objectContaining({ message: 'slow' }) });
    expect(after).toEqual({ value: expect.objectContaining({ message: 'after' }) });
  });
});
