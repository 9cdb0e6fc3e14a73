import { createConnection, createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SwitchyardTestingError } from './testing-error.js';
import { startTcpProxy } from './tcp-proxy.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server on a free loopback port that answers every connection with `name` and closes it. */
async function namedServer(name: string): Promise<number> {
  const server: Server = createServer((socket) => socket.end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

/** What a new connection to `port` hears before it closes ('' when it was dropped at once). */
function hear(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    let heard = '';
    socket.on('data', (chunk: Buffer) => {
      heard += chunk.toString();
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(heard));
  });
}

describe('startTcpProxy', () => {
  it('forwards to its target, refuses while cut, and sends new connections where it was moved', async () => {
    const proxy = await startTcpProxy({ port: await namedServer('old') });
    cleanups.push(() => proxy.close());
    expect(await hear(proxy.port)).toBe('old');
    proxy.cut();
    expect(await hear(proxy.port)).toBe('');
    proxy.heal();
    expect(await hear(proxy.port)).toBe('old');
    proxy.moveTo(await namedServer('new'));
    expect(await hear(proxy.port)).toBe('new');
  });

  it('resets its open connections (the client reads ECONNRESET) and keeps accepting new ones', async () => {
    // Holds every connection open, says nothing.
    const silent: Server = createServer((socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => silent.close(resolve)));
    const proxy = await startTcpProxy({ port: (silent.address() as AddressInfo).port });
    cleanups.push(() => proxy.close());
    const socket = createConnection(proxy.port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    const failed = new Promise<string | undefined>((resolve) => {
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code));
      socket.on('close', () => resolve(undefined));
    });
    await new Promise((resolve) => socket.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50)); // the proxy has its upstream
    proxy.reset();
    expect(await failed).toBe('ECONNRESET');
    const again = createConnection(proxy.port, '127.0.0.1');
    again.on('error', () => {});
    cleanups.push(() => again.destroy());
    await new Promise((resolve) => again.once('connect', resolve));
  });

  it('refuses a target port that cannot be connected to, at the call, instead of crashing the process later', async () => {
    // It used to resolve, and the first connection threw a RangeError out of the proxy's connection
    // handler: an uncaught exception that ended the test run.
    for (const port of [70_000, -1, 1.5, Number.NaN, '6379' as never]) {
      const started = await startTcpProxy({ port }).then(
        (proxy) => {
          cleanups.push(() => proxy.close());
          return proxy;
        },
        (error: unknown) => error,
      );
      expect(SwitchyardTestingError.isInstance(started) && started.code).toBe('INVALID_ARGUMENT');
    }
    const proxy = await startTcpProxy({ port: await namedServer('kept') });
    cleanups.push(() => proxy.close());
    expect(() => proxy.moveTo(70_000)).toThrow(/port must be an integer from 1 to 65535 \(got 70000\)/);
    expect(() => proxy.moveTo(6379, '' as never)).toThrow(/host must be a non-empty string/);
    expect(await hear(proxy.port)).toBe('kept'); // still where it was
  });
});
