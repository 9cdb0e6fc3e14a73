/**
 * A handler's error with trailers: grpc-js's own error shape `{ code, details, metadata }` and a
 * GrpcCallError the handler made with `metadata` reply with those trailers (`grpc-retry-pushback-ms`,
 * `grpc-status-details-bin`, application keys), as a plain grpc-js server sends them. A downstream
 * call's GrpcCallError passed on never carries the downstream's trailers to this server's caller.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcServer, GrpcCallError } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';
import { cleanupsAfterEach } from './fixtures/cleanups.js';

const cleanups = cleanupsAfterEach();

type Method = grpc.MethodDefinition<object, { message: string }>;
const say = EchoService.Say as unknown as Method;
const count = EchoService.Count as unknown as Method;

function trailers(): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('grpc-retry-pushback-ms', '1500');
  metadata.set('x-quota-reset', '60');
  return metadata;
}

/** The error a plain client gets from Say (unary) and Count (server streaming). */
async function errorsFrom(failure: () => unknown): Promise<{ unary: grpc.ServiceError; stream: grpc.ServiceError }> {
  const server = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          say: async () => {
            throw failure();
          },
          // biome-ignore lint/correctness/useYield: fails before its first message
          async *count() {
            throw failure();
          },
        },
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  const plain = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanups.push(() => plain.close());
  const unary = await new Promise<grpc.ServiceError>((resolve) => {
    plain.makeUnaryRequest(say.path, say.requestSerialize, say.responseDeserialize, {}, (error) =>
      resolve(error as grpc.ServiceError),
    );
  });
  const stream = await new Promise<grpc.ServiceError>((resolve) => {
    const call = plain.makeServerStreamRequest(count.path, count.requestSerialize, count.responseDeserialize, {
      count: 1,
    });
    call.on('data', () => {});
    call.on('error', (error) => resolve(error as grpc.ServiceError));
  });
  return { unary, stream };
}

describe('trailers of a handler error', () => {
  it("sends the trailers of grpc-js's own error shape { code, details, metadata }, as grpc-js does", async () => {
    // Before the fix: the trailers were dropped: no pushback and no application trailer reached the client.
    const { unary, stream } = await errorsFrom(() => ({
      code: grpc.status.RESOURCE_EXHAUSTED,
      details: 'quota exceeded',
      metadata: trailers(),
    }));
    for (const error of [unary, stream]) {
      expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(error.details).toBe('quota exceeded');
      expect(error.metadata.get('x-quota-reset')).toEqual(['60']);
      expect(error.metadata.get('grpc-retry-pushback-ms')).toEqual(['1500']);
    }
  });

  it('sends the metadata of a GrpcCallError the handler made with it, never that of a downstream call', async () => {
    // Before the fix: the handler's own metadata was dropped (the downstream's was, as it still is).
    const own = await errorsFrom(
      () => new GrpcCallError(grpc.status.RESOURCE_EXHAUSTED, 'quota exceeded', { metadata: trailers() }),
    );
    for (const error of [own.unary, own.stream]) {
      expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(error.metadata.get('grpc-retry-pushback-ms')).toEqual(['1500']);
      expect(error.metadata.get('x-quota-reset')).toEqual(['60']);
    }
    const downstream = await errorsFrom(
      () =>
        new GrpcCallError(grpc.status.RESOURCE_EXHAUSTED, 'quota exceeded', {
          metadata: trailers(),
          fromDownstream: true,
        }),
    );
    for (const error of [downstream.unary, downstream.stream]) {
      expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(error.metadata.get('grpc-retry-pushback-ms')).toEqual([]);
      expect(error.metadata.get('x-quota-reset')).toEqual([]);
    }
  });
});
