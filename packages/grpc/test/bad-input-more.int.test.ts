/** Bad input gives clear errors: a misspelt stream method, a serving status outside the protocol, a grace beyond a timer. */
import * as grpc from '@grpc/grpc-js';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, healthServiceDefinition, loadService } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, expect, it } from 'vitest';
import { discoveredEcho, EchoService, echoImplementation, protosDir } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('names a misspelt streaming method like a misspelt unary one', async () => {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const discovery = createDiscovery({ registry, service: 'echo' });
  cleanups.push(() => discovery.close());
  const echo = createGrpcClient({ definition: EchoService, discovery }) as unknown as {
    stream: Record<string, (request: object) => AsyncIterable<unknown>>;
    close(): Promise<void>;
  };
  cleanups.push(() => echo.close());
  // client.sayy throws INVALID_ARGUMENT naming the methods; client.stream.cuont should too.
  let thrown: unknown;
  try {
    echo.stream.cuont!({ count: 1 });
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toMatchObject({ code: 'INVALID_ARGUMENT' });
});

it('refuses a serving status that is not one of the protocol values', async () => {
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation: echoImplementation('a') }] });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  let thrown: unknown;
  try {
    server.setServingStatus('switchyard.echo.v1.Echo', 'NOT-SERVING' as never);
  } catch (error) {
    thrown = error;
  }
  const Health = grpc.makeGenericClientConstructor(healthServiceDefinition(), 'Health');
  const health = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client &
    Record<string, Function>;
  cleanups.push(() => health.close());
  const status = await new Promise<{ status: string }>((resolve, reject) =>
    health.Check!({ service: 'switchyard.echo.v1.Echo' }, (error: Error | null, response: { status: string }) =>
      error ? reject(error) : resolve(response),
    ),
  );
  expect(thrown).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'status' });
  // Nothing was set: the service still reports what it did before.
  expect(status.status).toBe('SERVING');
});

it('shutdown(graceMs) with a grace beyond a timer (Infinity, 30 days) waits for calls instead of cancelling them', async () => {
  const { status } = grpc;
  for (const graceMs of [Number.POSITIVE_INFINITY, 30 * 86_400_000]) {
    const server = createGrpcServer({
      services: [
        {
          definition: EchoService,
          implementation: {
            say: async () => {
              await new Promise((resolve) => setTimeout(resolve, 300));
              return { message: 'done', servedBy: 'a' };
            },
          },
        },
      ],
    });
    const port = await server.listen(0, '127.0.0.1');
    const Echo = grpc.makeGenericClientConstructor(EchoService, 'Echo');
    const plain = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client &
      Record<string, Function>;
    cleanups.push(() => plain.close());
    const reply = new Promise<{ code: number; message?: string }>((resolve) =>
      plain.Say!({ message: 'x' }, (error: grpc.ServiceError | null, response: { message: string }) =>
        resolve(error ? { code: error.code } : { code: status.OK, message: response.message }),
      ),
    );
    for (let i = 0; i < 100 && server.inFlight === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await server.shutdown(graceMs);
    expect(await reply).toEqual({ code: status.OK, message: 'done' });
  }
});

it('refuses a grace that is not a number of ms ≥ 0, and stops nothing', async () => {
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation: echoImplementation('a') }] });
  await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  for (const graceMs of [-1, Number.NaN, '5000' as unknown as number]) {
    await expect(server.shutdown(graceMs)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'graceMs' });
  }
  expect(server.port).toBeGreaterThan(0);
});

it('refuses channel options grpc-js would choke on only at call time, naming the option', async () => {
  const { discovery } = await discoveredEcho(cleanups);
  // Each passed here: the first then failed every call with an unhandled rejection inside grpc-js
  // (the call hung to its deadline), the second with a bare SyntaxError blamed on the instance, the
  // third was ignored without a word.
  const bad: [Record<string, unknown>, string][] = [
    [{ 'grpc.default_authority': 5 }, 'channelOptions.grpc.default_authority'],
    [{ 'grpc.service_config': '{not json' }, 'channelOptions'],
    [{ 'grpc.keepalive_time_ms': 'often' }, 'channelOptions.grpc.keepalive_time_ms'],
    [{ 'grpc.max_receive_message_length': { bytes: 5 } }, 'channelOptions.grpc.max_receive_message_length'],
  ];
  for (const [channelOptions, field] of bad) {
    expect(() => createGrpcClient({ definition: EchoService, discovery, channelOptions } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
    );
  }
  // Good options still work.
  const echo = createGrpcClient({
    definition: EchoService,
    discovery,
    channelOptions: { 'grpc.max_receive_message_length': 1 << 20, 'grpc.primary_user_agent': 'test' },
  }) as unknown as { say(request: object): Promise<{ message: string }>; close(): Promise<void> };
  cleanups.push(() => echo.close());
  await expect(echo.say({ message: 'hi' })).resolves.toMatchObject({ message: 'hi' });
});

it('refuses bad server options and a bad listen host, naming the field', async () => {
  const services = [{ definition: EchoService, implementation: echoImplementation('a') }];
  // Each used to pass: `health: 'no'` served health anyway, `logger: {}` turned the first handler
  // failure into an unhandled rejection (the call never answered), `channelOptions: 5` was ignored,
  // and `credentials: {}` failed only in listen() with grpc-js's TypeError.
  const bad: [Record<string, unknown>, string][] = [
    [{ health: 'no' }, 'health'],
    [{ tracing: 'yes' }, 'tracing'],
    [{ logger: {} }, 'logger'],
    [{ channelOptions: 5 }, 'channelOptions'],
    [{ channelOptions: { 'grpc.max_concurrent_streams': 'many' } }, 'channelOptions.grpc.max_concurrent_streams'],
    [{ credentials: {} }, 'credentials'],
  ];
  for (const [options, field] of bad) {
    expect(() => createGrpcServer({ services, ...options } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
    );
  }
  const server = createGrpcServer({ services });
  cleanups.push(() => server.shutdown(0));
  // A host that is not a string threw "host.includes is not a function".
  for (const host of [127, '', null]) {
    await expect(server.listen(0, host as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'host' });
  }
  expect(server.port).toBeUndefined();
  await expect(server.listen(0, '127.0.0.1')).resolves.toBeGreaterThan(0);
});

it('names a bad argument of loadService instead of throwing a TypeError', () => {
  const includeDirs = [protosDir];
  // A service name that is not a string threw "serviceName.split is not a function".
  expect(() => loadService('switchyard/echo/v1/echo.proto', 5 as never, { includeDirs })).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'serviceName' }),
  );
  expect(() => loadService(['echo.proto'] as never, 'switchyard.echo.v1.Echo', { includeDirs })).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'protoFile' }),
  );
  expect(() => loadService('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', 'protos' as never)).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options' }),
  );
  expect(loadService('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', { includeDirs })).toHaveProperty(
    'Say',
  );
});
