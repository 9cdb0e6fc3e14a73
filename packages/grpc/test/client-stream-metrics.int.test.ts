/**
 * `rpc.client.duration` for streaming calls: one sample per attempt, with the status the stream
 * ended with and the time to its end, as its CLIENT span has. The sample was taken at the stream's
 * first message, always with status OK: a server stream that failed UNAVAILABLE after three
 * messages read as a 72 ms success on the client while the server recorded status 14 at 154 ms,
 * so client-side error rates for streaming methods always read zero.
 */
import { status } from '@grpc/grpc-js';
import { createGrpcClient, createGrpcServer, grpcError } from '@switchyard/grpc';
import { initMetrics, type Metrics } from '@switchyard/tracing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { bothThenFirst } from '../../../test-support/side-by-side-policy.js';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { discovered, EchoService, EchoStreamsService, echoStreamsImplementation } from './fixtures/echo.js';

const cleanups = cleanupsAfterEach();
let metrics: Metrics;
beforeEach(async () => {
  // A fresh provider per test: each test reads only its own samples.
  metrics = await initMetrics({ serviceName: 'grpc-client-stream-metrics', port: 0, host: '127.0.0.1' });
});
afterEach(() => metrics.shutdown());

interface Counting {
  stream: { count(request: object, options?: object): AsyncIterable<{ message: string }> };
  close(): Promise<void>;
}
interface Chatting {
  bidiStream: { chat(requests: unknown, options?: object): AsyncIterable<{ message: string }> };
  close(): Promise<void>;
}

/** A sample of `rpc.client.duration` for one method: its status code, count and sum (ms). */
interface Sample {
  code: number;
  count: number;
  sumMs: number;
}

/** The `rpc.client.duration` samples of `method`, one entry per status code seen. */
async function clientSamples(method: string): Promise<Sample[]> {
  const lines = (await metrics.scrape()).split('\n');
  const value = (line: string) => Number(line.slice(line.lastIndexOf(' ') + 1));
  const samples: Sample[] = [];
  for (const line of lines) {
    if (!line.startsWith('rpc_client_duration') || !line.includes(`rpc_method="${method}"`)) continue;
    const match = /rpc_grpc_status_code="(\d+)"/.exec(line);
    if (match === null) continue;
    const code = Number(match[1]);
    let sample = samples.find((candidate) => candidate.code === code);
    if (sample === undefined) {
      sample = { code, count: 0, sumMs: 0 };
      samples.push(sample);
    }
    if (line.includes('_count{')) sample.count = value(line);
    else if (line.includes('_sum{')) sample.sumMs = value(line);
  }
  return samples.sort((a, b) => a.code - b.code);
}

/** Count: `count` messages `intervalMs` apart, then a failure with `failWith` if given. */
async function countingClient(failWith?: number, policy?: typeof bothThenFirst): Promise<Counting> {
  const server = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          say: async () => ({ message: '' }),
          async *count({ count, intervalMs }: { count: number; intervalMs: number }) {
            for (let index = 0; index < count; index++) {
              await new Promise((resolve) => setTimeout(resolve, intervalMs));
              yield { message: String(index), servedBy: 'a', remainingMs: 0, traceId: '' };
            }
            if (failWith !== undefined) throw grpcError(failWith, 'went away mid-stream');
          },
        },
      },
    ],
  });
  const { discovery } = await discovered(server, cleanups);
  const client = createGrpcClient({
    definition: EchoService,
    discovery,
    ...(policy === undefined ? {} : { policy }),
  }) as unknown as Counting;
  cleanups.push(() => client.close());
  return client;
}

it('records a server stream that fails after its first messages once, with its status and full duration', async () => {
  const client = await countingClient(status.UNAVAILABLE);
  const started = performance.now();
  const received: string[] = [];
  await expect(
    (async () => {
      for await (const item of client.stream.count({ count: 3, intervalMs: 40 })) received.push(item.message);
    })(),
  ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  const elapsedMs = performance.now() - started;
  expect(received).toEqual(['0', '1', '2']);
  const samples = await clientSamples('Count');
  // Before: [{ code: 0, count: 1, sumMs: ~45 }], the attempt recorded as a success at its first message.
  expect(samples.map(({ code, count }) => ({ code, count }))).toEqual([{ code: status.UNAVAILABLE, count: 1 }]);
  // The whole stream: three messages 40 ms apart (the first message came after ~40 ms).
  expect(samples[0]?.sumMs).toBeGreaterThanOrEqual(100);
  expect(samples[0]?.sumMs).toBeLessThanOrEqual(elapsedMs + 1);
});

it('records a server stream read to its end once, OK, with the time to its last message', async () => {
  const client = await countingClient();
  const received: string[] = [];
  for await (const item of client.stream.count({ count: 4, intervalMs: 40 })) received.push(item.message);
  expect(received).toHaveLength(4);
  const samples = await clientSamples('Count');
  expect(samples.map(({ code, count }) => ({ code, count }))).toEqual([{ code: status.OK, count: 1 }]);
  expect(samples[0]?.sumMs).toBeGreaterThanOrEqual(140);
});

it('records a stream its consumer stops reading (break) once, as CANCELLED', async () => {
  const client = await countingClient();
  for await (const item of client.stream.count({ count: 50, intervalMs: 10 })) {
    if (item.message === '2') break;
  }
  // The cancel's own CANCELLED from grpc-js comes a little later: it must not add a sample.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const samples = await clientSamples('Count');
  expect(samples.map(({ code, count }) => ({ code, count }))).toEqual([{ code: status.CANCELLED, count: 1 }]);
});

it("records a stream the caller's signal ends once, as CANCELLED", async () => {
  const client = await countingClient();
  const controller = new AbortController();
  await expect(
    (async () => {
      for await (const item of client.stream.count({ count: 50, intervalMs: 10 }, { signal: controller.signal })) {
        if (item.message === '1') controller.abort();
      }
    })(),
  ).rejects.toMatchObject({ code: 'CANCELLED' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const samples = await clientSamples('Count');
  expect(samples.map(({ code, count }) => ({ code, count }))).toEqual([{ code: status.CANCELLED, count: 1 }]);
});

it('records a bidirectional stream that fails after its first answers once, with its status', async () => {
  const server = createGrpcServer({
    services: [{ definition: EchoStreamsService, implementation: echoStreamsImplementation('a') }],
  });
  const { discovery } = await discovered(server, cleanups);
  const client = createGrpcClient({ definition: EchoStreamsService, discovery }) as unknown as Chatting;
  cleanups.push(() => client.close());
  const requests = [
    { message: 'a' },
    { message: 'b', delayMs: 30 },
    { message: 'c', failWithCode: status.UNAVAILABLE },
  ];
  const answers: string[] = [];
  await expect(
    (async () => {
      for await (const answer of client.bidiStream.chat(requests)) answers.push(answer.message);
    })(),
  ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  expect(answers).toEqual(['A', 'B']);
  const samples = await clientSamples('Chat');
  expect(samples.map(({ code, count }) => ({ code, count }))).toEqual([{ code: status.UNAVAILABLE, count: 1 }]);
  expect(samples[0]?.sumMs).toBeGreaterThanOrEqual(25);
});

it('records each of two streams opened side by side once: the one not taken CANCELLED, the one read as it ended', async () => {
  // A policy of the caller's own that lets both attempts reach their first message, then takes one.
  const client = await countingClient(undefined, bothThenFirst);
  const received: string[] = [];
  for await (const item of client.stream.count({ count: 3, intervalMs: 20 })) received.push(item.message);
  expect(received).toEqual(['0', '1', '2']);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const samples = await clientSamples('Count');
  expect(samples.map(({ code, count }) => ({ code, count }))).toEqual([
    { code: status.OK, count: 1 },
    { code: status.CANCELLED, count: 1 },
  ]);
});
