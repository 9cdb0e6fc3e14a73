import { Metadata } from '@grpc/grpc-js';
import { SwitchyardError } from '@switchyard/core';
import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, type GrpcServer } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyValue, describeError, edgyString, optional, runs, show, strip } from './support/arbitraries.js';
import { type EchoReply, EchoService, echoImplementation } from './support/echo.js';
import { settle, trackUnhandledRejections } from './support/unhandled.js';

type EchoClient = {
  say(request: unknown, options?: unknown): Promise<EchoReply>;
  stream: { count(request: unknown, options?: unknown): AsyncIterable<EchoReply> };
  close(): Promise<void>;
};

const unhandled = trackUnhandledRejections();
let server: GrpcServer;
let registry: MemoryRegistry;
let discovery: Discovery;
let client: EchoClient;

beforeAll(async () => {
  server = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          ...echoImplementation('fuzz'),
          async *count(request: { count: number }) {
            for (let index = 0; index < Math.min(request.count, 3); index++)
              yield { message: String(index), servedBy: 'fuzz', remainingMs: 0, traceId: '' };
          },
        },
      },
    ],
    tracing: false,
  });
  const port = await server.listen(0, '127.0.0.1');
  registry = new MemoryRegistry();
  await registry.register({ id: 'fuzz-1', service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
  discovery = createDiscovery({ registry, service: 'echo' });
  await discovery.ready();
  client = createGrpcClient({ definition: EchoService, discovery, tracing: false }) as unknown as EchoClient;
});
afterAll(async () => {
  await client?.close();
  await discovery?.close();
  await registry?.close();
  await server?.shutdown(0);
  await settle(50);
  unhandled.stop();
  expect(unhandled.reasons.map(describeError)).toEqual([]);
});

const requestLike = fc.oneof(
  { arbitrary: fc.record({ message: fc.string({ maxLength: 30 }) }), weight: 5 },
  fc
    .record({
      message: fc.oneof(fc.string(), anyValue),
      delayMs: optional(fc.oneof(fc.constant(0), anyValue)),
      failWithCode: optional(fc.oneof(fc.constant(0), anyValue)),
    })
    .map(strip),
  fc.record({ message: fc.string(), unknownField: anyValue }),
  anyValue,
);
/** Metadata keys: valid, reserved, illegal characters, and binary keys. */
const metadataKey = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,10}$/),
  fc.constantFrom('x-bin', 'grpc-timeout', ':authority', 'Upper-Case', 'bad key', 'x\u00ff', ''),
  edgyString,
);
const callOptions = fc.oneof(
  {
    arbitrary: fc
      .record({
        deadlineMs: optional(
          fc.oneof(
            fc.integer({ min: 0, max: 3_000 }),
            fc.integer({ min: 2 ** 31, max: 10 ** 12 }),
            fc.constantFrom(-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY),
            anyValue,
          ),
        ),
        deadline: optional(
          fc.oneof(
            fc.integer({ min: 500, max: 3_000 }).map((ms) => Date.now() + ms),
            fc.constant(Date.now() - 1),
            anyValue,
          ),
        ),
        metadata: optional(
          fc.oneof(
            fc.dictionary(metadataKey, fc.oneof(fc.string({ maxLength: 10 }), anyValue), { maxKeys: 3 }),
            fc.constant(null).map(() => new Metadata()),
            anyValue,
          ),
        ),
        signal: optional(
          fc.oneof(
            fc.constant(null).map(() => new AbortController().signal),
            fc.constant(null).map(() => AbortSignal.abort()),
            anyValue,
          ),
        ),
        key: optional(fc.oneof(fc.string(), anyValue)),
      })
      .map(strip),
    weight: 8,
  },
  fc.tuple(fc.string({ maxLength: 8 }), anyValue).map(([key, value]) => ({ [key]: value })),
  anyValue,
);

/**
 * The time the options allow the call to run until: given both `deadlineMs` and `deadline`, the
 * earlier one wins (as the client documents); with neither, far enough away that a
 * DEADLINE_EXCEEDED is wrong.
 */
function allowedUntil(options: unknown, startedAt: number): number {
  const noDeadline = startedAt + 10_000;
  if (typeof options !== 'object' || options === null) return noDeadline;
  const { deadlineMs, deadline } = options as { deadlineMs?: unknown; deadline?: unknown };
  const limits: number[] = [];
  if (typeof deadlineMs === 'number' && deadlineMs >= 0) limits.push(startedAt + deadlineMs);
  if (typeof deadline === 'number' && !Number.isNaN(deadline)) limits.push(deadline);
  return limits.length === 0 ? noDeadline : Math.min(...limits);
}

describe('gRPC calls with arbitrary requests and call options', () => {
  it('return a promise that resolves with the echo or rejects with INVALID_ARGUMENT, CANCELLED or (only when little time was given) DEADLINE_EXCEEDED', async () => {
    await fc.assert(
      fc.asyncProperty(requestLike, callOptions, async (request, options) => {
        const startedAt = Date.now();
        let promise: Promise<EchoReply>;
        try {
          promise = client.say(request, options);
        } catch (error) {
          throw new Error(`say(${show(request)}, ${show(options)}) threw synchronously: ${describeError(error)}`);
        }
        try {
          const reply = await promise;
          expect(reply.message).toBe(String((request as { message?: unknown }).message ?? ''));
        } catch (error) {
          const context = `say(${show(request)}, ${show(options)})`;
          expect(SwitchyardError.isInstance(error), `${context}: ${describeError(error)}`).toBe(true);
          const code = (error as SwitchyardError).code;
          expect(
            ['INVALID_ARGUMENT', 'CANCELLED', 'DEADLINE_EXCEEDED'],
            `${context}: ${describeError(error)}`,
          ).toContain(code);
          if (code === 'DEADLINE_EXCEEDED') {
            expect(
              allowedUntil(options, startedAt) - startedAt,
              `${context} expired early: ${describeError(error)}`,
            ).toBeLessThan(1_000);
          }
        }
      }),
      runs(200, [
        [{ message: 'far deadline' }, { deadlineMs: 2 ** 31 }],
        [{ message: 'signal' }, { signal: 'abort' }],
        [{ message: 'metadata' }, { metadata: { 'bad key': 'x' } }],
        // Found by this property in CI: grpc-js takes the key and every attempt then failed on the wire.
        [{ message: '' }, { metadata: { 'x:y': '' } }],
        // Found in CI: grpc-js refuses a deadline this far ahead with an unhandled rejection and a hung call.
        [{ message: 'farther' }, { deadlineMs: 1e20 }],
        [{ message: 'farthest' }, { deadline: Number.MAX_SAFE_INTEGER }],
        // Found with a random seed: both given, the earlier (deadlineMs 0) wins and expires at once;
        // the bound must not be the later absolute deadline.
        [{ message: 'both' }, { deadlineMs: 0, deadline: Date.now() + 600_000 }],
      ] as [unknown, unknown][]),
    );
  });

  it('server streams with arbitrary options: iteration yields or throws a SwitchyardError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ count: fc.nat(3) }), anyValue), callOptions, async (request, options) => {
        try {
          let received = 0;
          for await (const _ of client.stream.count(request, options)) received++;
          expect(received).toBeLessThanOrEqual(3);
        } catch (error) {
          expect(
            SwitchyardError.isInstance(error),
            `count(${show(request)}, ${show(options)}): ${describeError(error)}`,
          ).toBe(true);
        }
      }),
      runs(100),
    );
  });
});
