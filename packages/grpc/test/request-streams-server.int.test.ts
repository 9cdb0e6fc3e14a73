/**
 * createGrpcServer with client-streaming and bidirectional methods, called by a plain grpc-js client
 * (no Switchyard code on that side): the handlers read the requests as they come, statuses map as for
 * unary calls, and a call cut short ends the handler's reading with the reason.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcServer, type GrpcServer } from '@switchyard/grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoStreamsService, echoStreamsImplementation } from './fixtures/echo.js';

type Method = grpc.MethodDefinition<object, { message: string; servedBy: string; remainingMs: number }>;
const collect = EchoStreamsService.Collect as unknown as Method;
const chat = EchoStreamsService.Chat as unknown as Method;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(
  seen?: (outcome: { error?: unknown; signal: AbortSignal }) => void,
): Promise<{ server: GrpcServer; plain: grpc.Client }> {
  const server = createGrpcServer({
    services: [{ definition: EchoStreamsService, implementation: echoStreamsImplementation('a', seen) }],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  const plain = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanups.push(() => plain.close());
  return { server, plain };
}

function startCollect(plain: grpc.Client, options: grpc.CallOptions = {}) {
  let settle!: (outcome: { error: grpc.ServiceError | null; response?: { message: string } }) => void;
  const outcome = new Promise<{ error: grpc.ServiceError | null; response?: { message: string } }>((resolve) => {
    settle = resolve;
  });
  const call = plain.makeClientStreamRequest(
    collect.path,
    collect.requestSerialize,
    collect.responseDeserialize,
    new grpc.Metadata(),
    options,
    (error, response) => settle({ error, ...(response ? { response } : {}) }),
  );
  return { call, outcome };
}

/** Starts a bidirectional Chat call from the plain client. */
function startChat(plain: grpc.Client, options: grpc.CallOptions = {}) {
  return plain.makeBidiStreamRequest(
    chat.path,
    chat.requestSerialize,
    chat.responseDeserialize,
    new grpc.Metadata(),
    options,
  );
}

/** A duplex call's answers one at a time: each message's text, `<end>` once it ends. */
function answers(call: grpc.ClientDuplexStream<object, { message: string }>): () => Promise<string> {
  const iterator = call[Symbol.asyncIterator]() as AsyncIterator<{ message: string }>;
  return async () => {
    const next = await iterator.next();
    return next.done ? '<end>' : next.value.message;
  };
}

describe('client streaming (createGrpcServer)', () => {
  it('hands the handler every request in order and sends its one response', async () => {
    const { plain } = await serve();
    const { call, outcome } = startCollect(plain, { deadline: Date.now() + 5_000 });
    for (const message of ['one', 'two', 'three']) call.write({ message });
    call.end();
    const { error, response } = await outcome;
    expect(error).toBeNull();
    expect(response?.message).toBe('one two three');
  });

  it('maps a handler failure to its status, as for unary calls', async () => {
    const { plain } = await serve();
    const { call, outcome } = startCollect(plain);
    call.write({ message: 'one' });
    call.write({ message: 'two', failWithCode: grpc.status.NOT_FOUND });
    call.end();
    const { error } = await outcome;
    expect(error?.code).toBe(grpc.status.NOT_FOUND);
    expect(error?.details).toBe(`asked to fail with ${grpc.status.NOT_FOUND}`);
  });

  it('ends the reading of a cancelled call with CANCELLED, and of a call past its deadline with DEADLINE_EXCEEDED', async () => {
    const outcomes: { error?: unknown; signal?: AbortSignal }[] = [];
    const { server, plain } = await serve((outcome) => outcomes.push(outcome));

    // Cancelled while the handler works on a request (grpc-js's client half-closes as it cancels).
    const cancelled = startCollect(plain);
    cancelled.call.write({ message: 'one', delayMs: 200 });
    await expect.poll(() => server.inFlight, { timeout: 2_000 }).toBe(1);
    cancelled.call.cancel();
    expect((await cancelled.outcome).error?.code).toBe(grpc.status.CANCELLED);
    await expect.poll(() => outcomes.length, { timeout: 2_000 }).toBe(1);
    expect(outcomes[0]?.error).toMatchObject({ code: 'CANCELLED' });

    // Never half-closed: the handler waits for more until the deadline passes. The client's
    // deadline and the server's race: grpc-js's client gives up by half-closing, then resetting. A
    // server whose own deadline came first ends the reading DEADLINE_EXCEEDED (also when the
    // half-close arrives after it); one the half-close reached first (its copy of the deadline runs
    // a little later, by the request's way there) sees the requests end, and its signal aborts an
    // instant later (the README's caveat). Either way the handler is told. Several rounds.
    for (let round = 1; round <= 10; round++) {
      const late = startCollect(plain, { deadline: Date.now() + 50 });
      late.call.write({ message: 'one' });
      expect((await late.outcome).error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      await expect.poll(() => outcomes.length, { timeout: 2_000 }).toBe(round + 1);
      const outcome = outcomes[round] as { error?: unknown; signal?: AbortSignal };
      // Else the half-close came first: the handler read the end of its requests and answered.
      // Its signal then aborts when the server's own copy of the deadline passes, unless its
      // answer ended the call before that (under load the handler answers within that instant:
      // 1 run in 5 on a busy machine), and then there is nothing left to tell it.
      if (outcome.error !== undefined) expect(outcome.error).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    }
    await expect.poll(() => server.inFlight, { timeout: 2_000 }).toBe(0);
  });
});

describe('bidirectional streaming (createGrpcServer)', () => {
  it('answers each request as it comes, before the client half-closes', async () => {
    const { plain } = await serve();
    const call = startChat(plain, { deadline: Date.now() + 5_000 });
    const next = answers(call);
    // Each answer is read before the next request is written: the two directions interleave.
    for (const message of ['one', 'two']) {
      call.write({ message });
      expect(await next()).toBe(message.toUpperCase());
    }
    call.end();
    expect(await next()).toBe('<end>');
  });

  it('ends the call with the status of a failing request, after the answers before it', async () => {
    const { plain } = await serve();
    const call = startChat(plain);
    const next = answers(call);
    call.write({ message: 'one' });
    expect(await next()).toBe('ONE');
    call.write({ message: 'two', failWithCode: grpc.status.FAILED_PRECONDITION });
    await expect(next()).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
  });
});
