/**
 * A response larger than the server's own `grpc.max_send_message_length`. grpc-js answers
 * RESOURCE_EXHAUSTED ("Sent message larger than max") itself and tells the handler nothing, as it
 * does for a response that fails to serialize. The server treats it as it treats that one: it logs
 * it, ends a streaming handler at once, and ends the SERVER span with the status the client got.
 */
import * as grpc from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { createGrpcServer } from '@switchyard/grpc';
import { initTracing } from '@switchyard/tracing';
import { expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { recordingLogger } from './fixtures/recording-logger.js';

const cleanups = cleanupsAfterEach();

type Method = grpc.MethodDefinition<object, { message: string }>;
const say = EchoService.Say as unknown as Method;
const count = EchoService.Count as unknown as Method;

it('logs a response over the send limit, stops its stream, and ends its SERVER span RESOURCE_EXHAUSTED', async () => {
  const { logger, logged } = recordingLogger();
  let yielded = 0;
  const server = createGrpcServer({
    logger,
    channelOptions: { 'grpc.max_send_message_length': 1_000 },
    services: [
      {
        definition: EchoService,
        implementation: {
          say: async () => ({ message: 'x'.repeat(2_000) }),
          async *count() {
            for (let index = 0; index < 5; index++) {
              yielded++;
              yield { message: 'y'.repeat(2_000) };
            }
          },
        },
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  const tracing = initTracing({ serviceName: 'server-send-limit', exporter: 'memory' });
  cleanups.push(() => tracing.shutdown());
  const plain = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanups.push(() => plain.close());

  const unary = await new Promise<grpc.ServiceError>((resolve) => {
    plain.makeUnaryRequest(say.path, say.requestSerialize, say.responseDeserialize, {}, (error) =>
      resolve(error as grpc.ServiceError),
    );
  });
  expect(unary.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  const streamed = await new Promise<grpc.ServiceError>((resolve) => {
    const call = plain.makeServerStreamRequest(count.path, count.requestSerialize, count.responseDeserialize, {
      count: 5,
    });
    call.on('data', () => {});
    call.on('error', (error) => resolve(error as grpc.ServiceError));
  });
  expect(streamed.code).toBe(grpc.status.RESOURCE_EXHAUSTED);

  const serverSpans = () => tracing.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
  await expect.poll(() => serverSpans().length, { timeout: 2_000 }).toBe(2);
  // Before the fix: both spans said OK (0), nothing was logged, and the stream's generator ran on.
  expect(serverSpans().map((span) => span.attributes['rpc.grpc.status_code'])).toEqual([
    grpc.status.RESOURCE_EXHAUSTED,
    grpc.status.RESOURCE_EXHAUSTED,
  ]);
  expect(logged).toEqual([
    "switchyard grpc: the response is over the server's grpc.max_send_message_length; the client got RESOURCE_EXHAUSTED",
    "switchyard grpc: the response is over the server's grpc.max_send_message_length; the client got RESOURCE_EXHAUSTED",
  ]);
  expect(yielded).toBe(1);
});
