/**
 * listen()'s errors say what was wrong with a code and a field, not only in words: a port in use is
 * INVALID_ARGUMENT naming `port`, an address this machine cannot listen on names `host`, each with
 * the system error (`code`, `syscall`) as its cause. grpc-js reports a failed bind as one message
 * with no code, so callers (the service runtime) had to match its text to tell host from port.
 */
import { createServer } from 'node:net';
import { InvalidArgumentError } from '@switchyard/core';
import { createGrpcServer } from '@switchyard/grpc';
import { afterEach, expect, it } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newServer() {
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation: echoImplementation('a') }] });
  cleanups.push(() => server.shutdown(0));
  return server;
}

async function failure(listening: Promise<number>): Promise<InvalidArgumentError> {
  const error = await listening.then(
    () => {
      throw new Error('expected listen() to fail');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InvalidArgumentError);
  return error as InvalidArgumentError;
}

it('a port in use is INVALID_ARGUMENT naming port, with EADDRINUSE as the cause; the server can listen elsewhere', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => holder.close(resolve)));
  const { port } = holder.address() as { port: number };
  const server = newServer();
  const error = await failure(server.listen(port, '127.0.0.1'));
  expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'port' });
  expect(error.rule).toContain(`cannot listen on 127.0.0.1:${port}`);
  expect(error.rule).toContain('EADDRINUSE');
  expect(error.cause).toMatchObject({ code: 'EADDRINUSE', syscall: 'listen', address: '127.0.0.1', port });
  // Nothing of grpc-js's own report is lost: it is the system error's cause.
  expect((error.cause as Error).cause).toBeInstanceOf(Error);
  expect(await server.listen(0, '127.0.0.1')).toBeGreaterThan(0);
});

it('a host name that does not resolve is INVALID_ARGUMENT naming host, with the resolver error as the cause', async () => {
  const error = await failure(newServer().listen(0, 'nonexistent.invalid'));
  expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'host' });
  expect(error.rule).toContain('cannot listen on nonexistent.invalid:0');
  expect(error.cause).toMatchObject({ code: expect.stringMatching(/^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NONAME)$/) });
});

it('an address that is not this machine is INVALID_ARGUMENT naming host (EADDRNOTAVAIL), whatever the port', async () => {
  // 192.0.2.1 is TEST-NET-1: never one of this machine's addresses.
  const error = await failure(newServer().listen(0, '192.0.2.1'));
  expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'host' });
  expect(error.cause).toMatchObject({ code: 'EADDRNOTAVAIL', syscall: 'listen', address: '192.0.2.1' });
});

it('a link-local IPv6 address without its interface (fe80::1) is INVALID_ARGUMENT naming host (EINVAL), not UNKNOWN', async () => {
  // Linux refuses to bind a link-local address with no scope id (fe80::1%eth0) with EINVAL.
  const error = await failure(newServer().listen(0, 'fe80::1'));
  expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'host' });
  expect(error.rule).toContain('cannot listen on [fe80::1]:0: listen EINVAL: invalid argument fe80::1');
  expect(error.cause).toMatchObject({ code: 'EINVAL', syscall: 'listen', address: 'fe80::1', port: 0 });
});
