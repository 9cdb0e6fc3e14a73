/**
 * Caller metadata that grpc-js's Metadata accepts but Node's HTTP/2 refuses to send (a
 * connection-specific key, several values for a header Node sends once) is refused as
 * INVALID_ARGUMENT before anything is sent, and the connection, with the calls in flight on it,
 * is left alone.
 * Before the fix: `session.request()` threw inside grpc-js, which dropped the whole connection: the
 * call failed INTERNAL, and every other call on it UNAVAILABLE (retried: run twice on the server).
 */
import { Metadata } from '@grpc/grpc-js';
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import { discovered, discoveredEcho, echoImplementation, EchoService, type EchoSayClient } from './fixtures/echo.js';
import { cleanupsAfterEach } from './fixtures/cleanups.js';

const cleanups = cleanupsAfterEach();

async function settle<T>(promise: Promise<T>) {
  try {
    return { value: await promise };
  } catch (error) {
    return { error: error as { code?: string; field?: string; message: string } };
  }
}

function metadataOf(entries: [string, string][]): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of entries) metadata.add(key, value);
  return metadata;
}

/** A call with `metadata` made while another call is in flight on the same (single) connection. */
async function badMetadataBesideACallInFlight(metadata: Record<string, unknown> | Metadata) {
  const { discovery } = await discoveredEcho(cleanups);
  const echo = createGrpcClient({
    definition: EchoService,
    discovery,
    policy: false,
    channelsPerInstance: 1,
  }) as unknown as EchoSayClient;
  cleanups.push(() => echo.close());
  await echo.say({ message: 'warm-up' }); // connected: later calls take the fast lane
  // A call in flight on the same connection (the server answers after 400 ms).
  const inFlight = settle(echo.say({ message: 'slow', delayMs: 400 }, { deadlineMs: 5_000 }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const bad = await settle(echo.say({ message: 'x' }, { metadata, deadlineMs: 5_000 }));
  return { bad, inFlight: await inFlight };
}

describe('metadata Node HTTP/2 cannot send', () => {
  it.each(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'http2-settings'])(
    'a connection-specific key (%s) is refused as INVALID_ARGUMENT naming it, and the call in flight completes',
    async (key) => {
      const { bad, inFlight } = await badMetadataBesideACallInFlight({ [key]: 'close' });
      expect(bad.error).toMatchObject({ code: 'INVALID_ARGUMENT', field: `options.metadata.${key}` });
      expect(inFlight).toEqual({ value: expect.objectContaining({ message: 'slow' }) });
    },
  );

  it('two values for a single-value header (authorization) are refused, and the call in flight completes', async () => {
    const { bad, inFlight } = await badMetadataBesideACallInFlight({ authorization: ['Bearer a', 'Bearer b'] });
    expect(bad.error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'options.metadata.authorization' });
    expect(inFlight).toEqual({ value: expect.objectContaining({ message: 'slow' }) });
  });

  it('the same header given twice in other case (Host, host) is refused, as grpc-js folds them into one', async () => {
    const { bad, inFlight } = await badMetadataBesideACallInFlight({ Host: 'a.example', host: 'b.example' });
    expect(bad.error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'options.metadata.host' });
    expect(inFlight).toEqual({ value: expect.objectContaining({ message: 'slow' }) });
  });

  it.each([
    ['a connection-specific key', [['connection', 'close']], 'options.metadata.connection'],
    [
      'two values for a single-value header',
      [
        ['content-length', '1'],
        ['content-length', '2'],
      ],
      'options.metadata.content-length',
    ],
  ] as [string, [string, string][], string][])(
    'a Metadata instance with %s is refused as a plain object is, and the call in flight completes',
    async (_case, entries, field) => {
      const { bad, inFlight } = await badMetadataBesideACallInFlight(metadataOf(entries));
      expect(bad.error).toMatchObject({ code: 'INVALID_ARGUMENT', field });
      expect(inFlight).toEqual({ value: expect.objectContaining({ message: 'slow' }) });
    },
  );

  it('one value for a single-value header, and repeated ordinary keys, are still sent', async () => {
    let seen: Metadata | undefined;
    const implementation = echoImplementation('a');
    const server = createGrpcServer({
      services: [
        {
          definition: EchoService,
          implementation: {
            ...implementation,
            say: (request: object, context: { metadata: Metadata }) => {
              seen = context.metadata;
              return implementation.say(request, context as never);
            },
          },
        },
      ],
    });
    const { discovery } = await discovered(server, cleanups);
    const echo = createGrpcClient({
      definition: EchoService,
      discovery,
      policy: false,
    }) as unknown as EchoSayClient;
    cleanups.push(() => echo.close());
    const metadata = { authorization: ['Bearer a'], 'x-tag': ['one', 'two'] };
    expect((await echo.say({ message: 'ok' }, { metadata })).message).toBe('ok');
    expect(seen?.get('authorization')).toEqual(['Bearer a']);
    expect(seen?.get('x-tag')).toEqual(['one, two']); // Node joins a repeated header on receipt
  });

  it('with the default policy, the call in flight runs once on the server (it was dropped and sent again)', async () => {
    const implementation = echoImplementation('a');
    let slowRuns = 0;
    const server = createGrpcServer({
      services: [
        {
          definition: EchoService,
          implementation: {
            ...implementation,
            say: (request: { message?: string }, context: never) => {
              if (request.message === 'slow') slowRuns++;
              return implementation.say(request, context);
            },
          },
        },
      ],
    });
    const { discovery } = await discovered(server, cleanups);
    const echo = createGrpcClient({
      definition: EchoService,
      discovery,
      channelsPerInstance: 1,
    }) as unknown as EchoSayClient;
    cleanups.push(() => echo.close());
    await echo.say({ message: 'warm-up' });
    const inFlight = settle(echo.say({ message: 'slow', delayMs: 300 }, { deadlineMs: 5_000 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const bad = await settle(echo.say({ message: 'x' }, { metadata: { connection: 'keep-alive' }, deadlineMs: 5_000 }));
    expect((await inFlight).value?.message).toBe('slow');
    expect(slowRuns).toBe(1);
    expect(bad.error?.code).toBe('INVALID_ARGUMENT');
  });
});
