/**
 * A server stream with more than one attempt open at once (a hedge, or a policy of the caller's own
 * that runs attempts side by side): the attempt the call did not take must be cancelled and its span
 * ended, whether it was still waiting for its first message or already had it when the call chose.
 */
import { status } from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { createGrpcClient, createGrpcServer, type GrpcHandlerContext } from '@switchyard/grpc';
import { hedge } from '@switchyard/resilience';
import { initTracing } from '@switchyard/tracing';
import { afterEach, describe, expect, it } from 'vitest';
import { bothThenFirst } from '../../../test-support/side-by-side-policy.js';
import { discovered, EchoService, EchoStreamsService } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Chatting {
  bidiStream: { chat(requests: unknown, options?: object): AsyncIterable<{ message: string }> };
  close(): Promise<void>;
}

interface Counting {
  stream: { count(request: object, options?: object): AsyncIterable<{ message: string }> };
  close(): Promise<void>;
}

/** How each call the server took ended: cancelled by its client, or run to the end. */
type Ending = 'cancelled' | 'ran to the end';

/**
 * Replies that hold every call until `together` calls have arrived, then answer them all in the
 * same tick (one write of the connection when they share it), and go on with a message every 20 ms
 * for up to `maxMessages`, unless the client cancels first. `endings` says how each call ended.
 */
function togetherReplies(together: number, maxMessages: number) {
  const endings: Ending[] = [];
  let arrived = 0;
  let release: () => void = () => {};
  const allArrived = new Promise<void>((resolve) => {
    release = resolve;
  });
  async function* replies(context: GrpcHandlerContext) {
    if (++arrived === together) release();
    await allArrived;
    try {
      for (let index = 0; index < maxMessages && !context.signal.aborted; index++) {
        yield { message: String(index), servedBy: 'a', remainingMs: 0, traceId: '' };
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      endings.push(context.signal.aborted ? 'cancelled' : 'ran to the end');
    }
  }
  return { replies, endings };
}

/**
 * A server of `Echo` whose `count`, or of `EchoStreams` whose `chat`, streams {@link togetherReplies};
 * the service's other method answers at once.
 */
function togetherServer(service: 'Echo' | 'EchoStreams', together: number, maxMessages: number) {
  const { replies, endings } = togetherReplies(together, maxMessages);
  const answer = async () => ({ message: '', servedBy: 'a', remainingMs: 0, traceId: '' });
  const stream = (_request: unknown, context: GrpcHandlerContext) => replies(context);
  const server = createGrpcServer({
    services: [
      service === 'Echo'
        ? { definition: EchoService, implementation: { say: answer, count: stream } }
        : { definition: EchoStreamsService, implementation: { collect: answer, chat: stream } },
    ],
  });
  return { server, endings };
}

/** Reads `stream` until it has `count` messages, then stops (the consumer's break cancels the call). */
async function firstMessages(stream: AsyncIterable<{ message: string }>, count: number): Promise<string[]> {
  const received: string[] = [];
  for await (const reply of stream) {
    received.push(reply.message);
    if (received.length === count) break;
  }
  return received;
}

/** The CLIENT spans ended so far, and their gRPC status codes. */
function clientSpanCodes(tracing: ReturnType<typeof initTracing>): unknown[] {
  return tracing
    .getFinishedSpans()
    .filter((span) => span.kind === SpanKind.CLIENT)
    .map((span) => span.attributes['rpc.grpc.status_code']);
}

describe('a hedged server stream', () => {
  // The usual path: the hedge aborts the other attempt before its first message is handled. A true
  // tie (both first messages handled before the policy hears of either) cannot be forced through
  // hedge() here; the next test makes one deterministically.
  it('cancels the hedge it did not take and ends its span, both calls answered in the same tick', async () => {
    const tracing = initTracing({ serviceName: 'hedged-stream', exporter: 'memory' });
    cleanups.push(() => tracing.shutdown());
    // 250 messages, 20 ms apart: a loser left running would still be sending 5 s later.
    const { server, endings } = togetherServer('Echo', 2, 250);
    const { discovery } = await discovered(server, cleanups);
    const echo = createGrpcClient({
      definition: EchoService,
      discovery,
      // One connection for both attempts, answered together: as close to a tie as a hedge comes.
      channelsPerInstance: 1,
      policy: hedge({ delayMs: 0, budget: false }),
      // hedge() sends a second attempt only of a method that may run twice (Count has no side effects).
      idempotentMethods: ['Count'],
    }) as unknown as Counting;
    cleanups.push(() => echo.close());

    expect(await firstMessages(echo.stream.count({ count: 1 }, { deadlineMs: 30_000 }), 2)).toEqual(['0', '1']);
    // Both calls end on the server, cancelled: the one read (its consumer stopped) and the one
    // not taken (at once, not at its deadline 30 s away, nor after its 250 messages).
    await expect.poll(() => endings, { timeout: 2_000 }).toEqual(['cancelled', 'cancelled']);
    // And each attempt's span ends.
    await expect.poll(() => clientSpanCodes(tracing).length, { timeout: 2_000 }).toBe(2);
  });

  it('cancels and ends every attempt a policy of its own let finish but did not take', async () => {
    const tracing = initTracing({ serviceName: 'hedged-stream', exporter: 'memory' });
    cleanups.push(() => tracing.shutdown());
    const { server, endings } = togetherServer('Echo', 2, 250);
    const { discovery } = await discovered(server, cleanups);
    const echo = createGrpcClient({ definition: EchoService, discovery, policy: bothThenFirst }) as unknown as Counting;
    cleanups.push(() => echo.close());

    expect(await firstMessages(echo.stream.count({ count: 1 }, { deadlineMs: 30_000 }), 2)).toEqual(['0', '1']);
    await expect.poll(() => endings, { timeout: 2_000 }).toEqual(['cancelled', 'cancelled']);
    // The one not taken ended as cancelled, as the one read was when its consumer stopped.
    await expect.poll(() => clientSpanCodes(tracing), { timeout: 2_000 }).toEqual([status.CANCELLED, status.CANCELLED]);
  });

  it('does the same for a bidirectional call, whose requests both attempts were sending', async () => {
    const tracing = initTracing({ serviceName: 'hedged-stream', exporter: 'memory' });
    cleanups.push(() => tracing.shutdown());
    const { server, endings } = togetherServer('EchoStreams', 2, 250);
    const { discovery } = await discovered(server, cleanups);
    const echo = createGrpcClient({
      definition: EchoStreamsService,
      discovery,
      policy: bothThenFirst,
    }) as unknown as Chatting;
    cleanups.push(() => echo.close());

    // An array: requests that can be sent again, so both attempts may send them; and a call that
    // says it may run twice (Chat is not marked idempotent: two attempts out at once are refused).
    const chat = echo.bidiStream.chat([{ message: 'a' }, { message: 'b' }], { deadlineMs: 30_000, idempotent: true });
    expect(await firstMessages(chat, 2)).toEqual(['0', '1']);
    await expect.poll(() => endings, { timeout: 2_000 }).toEqual(['cancelled', 'cancelled']);
    await expect.poll(() => clientSpanCodes(tracing), { timeout: 2_000 }).toEqual([status.CANCELLED, status.CANCELLED]);
  });
});
