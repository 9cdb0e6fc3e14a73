import { Metadata } from '@grpc/grpc-js';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, type GrpcHandlerContext } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('metadata given as a plain object', () => {
  it('takes Buffers for -bin keys and arrays (what Metadata.getMap() gives), and names bad values', async () => {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    // Replies with the metadata it received (binary values as hex).
    const implementation = {
      async say(_request: object, context: GrpcHandlerContext) {
        const seen = (key: string) =>
          context.metadata.get(key).map((value) => (Buffer.isBuffer(value) ? value.toString('hex') : value));
        const message = JSON.stringify({ bin: seen('x-trace-bin'), tag: seen('x-tag'), tenant: seen('x-tenant') });
        return { message, servedBy: 'a', remainingMs: 0, traceId: '' };
      },
    };
    const server = createGrpcServer({ services: [{ definition: EchoService, implementation }] });
    const port = await server.listen(0, '127.0.0.1');
    cleanups.push(() => server.shutdown(100));
    await registry.register({ id: 'a', service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
    const discovery = createDiscovery({ registry, service: 'echo' });
    cleanups.push(() => discovery.close());
    const echo = createGrpcClient({ definition: EchoService, discovery }) as unknown as {
      say(request: object, options?: object): Promise<{ message: string }>;
      close(): Promise<void>;
    };
    cleanups.push(() => echo.close());
    const seen = async (metadata: object) => JSON.parse((await echo.say({ message: 'x' }, { metadata })).message);

    // An incoming call's metadata forwarded as getMap() gives it: a Buffer for the -bin key.
    const incoming = new Metadata();
    incoming.set('x-trace-bin', Buffer.from([1, 2, 255]));
    incoming.set('x-tenant', 'acme');
    expect(await seen(incoming.getMap())).toEqual({ bin: ['0102ff'], tag: [], tenant: ['acme'] });
    // An array repeats the key.
    expect(await seen({ 'x-tag': ['a', 'b'], 'x-trace-bin': [Buffer.from([1]), Buffer.from([2])] })).toEqual({
      bin: ['01', '02'],
      tag: ['a, b'], // repeated text values arrive joined, as HTTP/2 header values
      tenant: [],
    });
    // Wrong kinds are bad input naming the key and the rule.
    await expect(seen({ 'x-trace-bin': 'AQL/' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/options\.metadata\.x-trace-bin.*Buffer/),
    });
    await expect(seen({ 'x-tag': Buffer.from([1]) })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/options\.metadata\.x-tag.*string/),
    });
    await expect(seen({ 'x-tag': ['a', 'b\r\nc'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
