/**
 * A call's `signal` and `key` are checked like its other options, naming the option. Unchecked, a
 * `signal` that is no AbortSignal, given to a call made inside a handler (whose call scope carries
 * the handler's signal, linked to the caller's with AbortSignal.any), was ignored without a word
 * (`{ aborted: false }`) or failed with Node's raw TypeError about `signals[0]` (`{}`); and a `key`
 * that is no string was ignored by an unkeyed balancer (the HTTP client refuses both, as
 * `request.signal` and `request.key`).
 */
import { runInCallScope } from '@switchyard/core';
import { createGrpcClient } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { discoveredEcho, EchoService } from './fixtures/echo.js';

const cleanups = cleanupsAfterEach();

type Echo = {
  say(request: object, options?: object): Promise<unknown>;
  stream: { count(request: object, options?: object): AsyncIterable<unknown> };
  close(): Promise<void>;
};

async function echoClient(): Promise<Echo> {
  const { discovery } = await discoveredEcho(cleanups);
  const echo = createGrpcClient({ definition: EchoService, discovery }) as unknown as Echo;
  cleanups.push(() => echo.close());
  return echo;
}

/** Runs `call` as a handler would: in a call scope with a deadline and a signal of its own. */
function inHandlerScope<T>(call: () => T): T {
  return runInCallScope({ deadline: Date.now() + 5_000, signal: new AbortController().signal }, call);
}

async function firstOf(stream: AsyncIterable<unknown>): Promise<unknown> {
  for await (const message of stream) return message;
  return undefined;
}

describe('call options', () => {
  it('refuses a signal that is not an AbortSignal, naming options.signal, in a handler too', async () => {
    const echo = await echoClient();
    const signal = { aborted: false };
    // Before the fix: resolved, the signal ignored without a word (with `{}`, Node's TypeError about `signals[0]`).
    await expect(inHandlerScope(() => echo.say({ message: 'x' }, { signal }))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.signal',
    });
    await expect(inHandlerScope(() => firstOf(echo.stream.count({ count: 1 }, { signal })))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.signal',
    });
    await expect(echo.say({ message: 'x' }, { signal })).rejects.toMatchObject({ field: 'options.signal' });
  });

  it('refuses a key that is not a string, naming options.key', async () => {
    const echo = await echoClient();
    // Before the fix: resolved, the key ignored without a word.
    await expect(echo.say({ message: 'x' }, { key: 42 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.key',
    });
    await expect(echo.say({ message: 'x' }, { key: 'user-42' })).resolves.toMatchObject({ message: 'x' });
  });
});
