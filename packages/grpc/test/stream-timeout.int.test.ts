/**
 * A timeout counts against the instance: a server stream whose first message does not come before
 * the deadline is reported to the balancer like a unary timeout (ok: false), not as a cancellation.
 */
import type { Discovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { compose, retry, timeout } from '@switchyard/resilience';
import { afterEach, expect, it } from 'vitest';
import { discovered, discoveredEcho, EchoService } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('reports a stream that timed out before its first message as a failure of its instance', async () => {
  const server = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          say: async () => {
            await new Promise((resolve) => setTimeout(resolve, 1_000));
            return { message: 'late' };
          },
          async *count() {
            await new Promise((resolve) => setTimeout(resolve, 1_000));
            yield { message: 'late' };
          },
        },
      },
    ],
  });
  const { discovery: real } = await discovered(server, cleanups, 0);
  const outcomes: { ok: boolean }[] = [];
  const discovery = new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'pick') {
        return (args?: object) => {
          const lease = target.pick(args as never);
          return {
            ...lease,
            instance: lease.instance,
            done: (o: { ok: boolean }) => {
              outcomes.push(o);
              lease.done(o as never);
            },
          };
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Discovery;
  const echo = createGrpcClient({ definition: EchoService, discovery, policy: false }) as unknown as {
    say(r: object, o?: object): Promise<unknown>;
    stream: { count(r: object, o?: object): AsyncIterable<unknown> };
    close(): Promise<void>;
  };
  cleanups.push(() => echo.close());

  await expect(echo.say({ message: 'x' }, { deadlineMs: 200 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(outcomes.map((o) => o.ok)).toEqual([false]); // unary: counted against the instance

  outcomes.length = 0;
  const timedOut: string[] = [];
  for (let i = 0; i < 3; i++) {
    try {
      for await (const _ of echo.stream.count({ count: 1 }, { deadlineMs: 200 })) void _;
    } catch (error) {
      timedOut.push((error as { code: string }).code);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(timedOut).toEqual(['DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED']);
  expect(outcomes.map((o) => o.ok)).toEqual([false, false, false]);
});

it('bounds opening a stream by a per-attempt timeout, and the stream itself by the call’s deadline', async () => {
  const { discovery } = await discoveredEcho(cleanups);
  // A per-attempt timeout of 300 ms, as the resilience docs suggest.
  const echo = createGrpcClient({
    definition: EchoService,
    discovery,
    policy: compose(retry(), timeout({ ms: 300 })),
  }) as unknown as {
    stream: { count(r: object, o?: object): AsyncIterable<{ message: string }> };
    close(): Promise<void>;
  };
  cleanups.push(() => echo.close());
  const read = async (deadlineMs: number): Promise<{ got: number; code?: string }> => {
    let got = 0;
    try {
      for await (const _ of echo.stream.count({ count: 8, intervalMs: 100 }, { deadlineMs })) got++;
      return { got };
    } catch (error) {
      return { got, code: (error as { code: string }).code };
    }
  };
  // 8 messages over ~800 ms: sent as the stream's deadline, the 300 ms cut it after 2.
  expect(await read(5_000)).toEqual({ got: 8 });
  // The call's own deadline still ends it.
  const cut = await read(450);
  expect(cut.code).toBe('DEADLINE_EXCEEDED');
  expect(cut.got).toBeLessThan(8);
});
