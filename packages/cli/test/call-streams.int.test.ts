/**
 * `switchyard call` on client-streaming and bidirectional methods, against a real Redis and a real
 * createGrpcServer, run in-process: the requests go as a JSON array, in order.
 */
import { createGrpcServer, type GrpcServer, loadService } from '@switchyard/grpc';
import { createRegistry, type Registry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../src/test-support/run-cli-in-process.js';
import { protosDir } from './fixtures/echo-fleet.js';

const streamsProto = 'switchyard/echo/v1/echo_streams.proto';
const EchoStreams = loadService(streamsProto, 'switchyard.echo.v1.EchoStreams', { includeDirs: [protosDir] });

let redis: RedisServerHandle;
let registry: Registry;
let server: GrpcServer;

const run = (argv: string[]) => runCliInProcess(argv, { SWITCHYARD_REGISTRY_URL: redis.url });
const call = (method: string, ...rest: string[]) =>
  run([
    'call',
    'streams',
    `switchyard.echo.v1.EchoStreams/${method}`,
    ...rest,
    '--proto',
    streamsProto,
    '-I',
    protosDir,
  ]);

beforeAll(async () => {
  redis = await startRedis();
  registry = createRegistry(redis.url);
  const note = (message: string) => ({ message, servedBy: 'streams-1', remainingMs: 0, traceId: '' });
  server = createGrpcServer({
    services: [
      {
        definition: EchoStreams,
        implementation: {
          async collect(requests: AsyncIterable<{ message: string }>) {
            const words: string[] = [];
            for await (const { message } of requests) words.push(message);
            return note(words.join(' '));
          },
          async *chat(requests: AsyncIterable<{ message: string }>) {
            for await (const { message } of requests) yield note(message.toUpperCase());
          },
        },
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  await registry.register({ id: 'streams-1', service: 'streams', host: '127.0.0.1', ports: { grpc: port } });
}, 120_000);

afterAll(async () => {
  await server?.shutdown(100);
  await registry?.close();
  await redis?.stop();
});

describe('switchyard call with streamed requests', { timeout: 60_000 }, () => {
  it('sends a JSON array to a client-streaming method and prints the one response', async () => {
    const result = await call('Collect', '[{"message":"to"},{"message":"be"}]', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).response).toMatchObject({ message: 'to be', servedBy: 'streams-1' });
    // Omitted, the requests are none.
    const empty = await call('Collect', '--json');
    expect(JSON.parse(empty.stdout).response.message).toBe('');
  });

  it('prints every message of a bidirectional call', async () => {
    const result = await call('Chat', '[{"message":"hi"},{"message":"there"}]', '--json');
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.slice(0, 2).map((line) => line.message.message)).toEqual(['HI', 'THERE']);
    expect(lines[2]).toMatchObject({ messages: 2 });
  });

  it('refuses requests that are not a JSON array of objects, as usage errors', async () => {
    const single = await call('Collect', '{"message":"a"}');
    expect(single.code).toBe(2);
    expect(single.stderr).toContain('streams its requests: give them as a JSON array');
    const mixed = await call('Chat', '[{"message":"a"}, 7]');
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('request 1 of the array must be a JSON object');
    const typo = await call('Collect', '[{"message":"a"},{"mesage":"b"}]');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('requests[1].mesage');
  });
});
