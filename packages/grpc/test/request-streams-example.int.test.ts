/** The README's request-streaming example, compiled and run as it is shown (the region between the markers). */
import { expect, it } from 'vitest';
// #region request-streams
import { fileURLToPath } from 'node:url';
import type { MethodDefinition } from '@grpc/grpc-js';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, loadService } from '@switchyard/grpc';
import { createRegistry } from '@switchyard/registry';

// Written out, a definition says which side streams (generated ones need naming: see GrpcHandlers).
type Note = { message: string; servedBy: string; remainingMs: number; traceId: string };
type StreamsDefinition = {
  Collect: MethodDefinition<{ message: string }, Note> & { requestStream: true; responseStream: false };
  Chat: MethodDefinition<{ message: string }, Note> & { requestStream: true; responseStream: true };
};
const protos = fileURLToPath(new URL('../../../protos', import.meta.url)); // this repository's protos/
const EchoStreams = loadService<StreamsDefinition>(
  'switchyard/echo/v1/echo_streams.proto',
  'switchyard.echo.v1.EchoStreams',
  { includeDirs: [protos] },
);

const note = (message: string): Note => ({ message, servedBy: 'streams-1', remainingMs: 0, traceId: '' });
const server = createGrpcServer({
  services: [
    {
      definition: EchoStreams,
      implementation: {
        // Client streaming: read the requests as they come, answer once.
        async collect(requests) {
          const words: string[] = [];
          for await (const { message } of requests) words.push(message);
          return note(words.join(' '));
        },
        // Bidirectional: answer each request as it comes.
        async *chat(requests) {
          for await (const { message } of requests) yield note(message.toUpperCase());
        },
      },
    },
  ],
});
const port = await server.listen(0, '127.0.0.1');
const registry = createRegistry('memory://grpc-request-streams');
await registry.register({ service: 'streams', host: '127.0.0.1', ports: { grpc: port } });
const streams = createGrpcClient({
  definition: EchoStreams,
  discovery: createDiscovery({ registry, service: 'streams' }),
});

// An array can be sent again, so the call is retried like a unary one.
const { message } = await streams.clientStream.collect([{ message: 'to' }, { message: 'be' }]);
// An (async) iterable is read once, as the call goes: retried only while none of it was sent.
async function* lines() {
  yield { message: 'hello' };
  yield { message: 'world' };
}
const answers: string[] = [];
for await (const answer of streams.bidiStream.chat(lines())) answers.push(answer.message);
// #endregion request-streams

it('runs the request-streaming example', async () => {
  expect(message).toBe('to be');
  expect(answers).toEqual(['HELLO', 'WORLD']);
  await streams.close();
  await server.shutdown(1_000);
  await registry.close();
});
