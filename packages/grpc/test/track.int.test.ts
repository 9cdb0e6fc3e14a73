import { runInCallScope } from '@switchyard/core';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { afterAll, describe, expect, it } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';

type Reply = { message: string; servedBy: string };
type EchoClient = { say(request: object): Promise<Reply>; close(): Promise<void> };
const registry = new MemoryRegistry();
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await registry.close();
});

function clientFor(service: string): EchoClient {
  const discovery = createDiscovery({ registry, service });
  const client = createGrpcClient({ definition: EchoService, discovery }) as unknown as EchoClient;
  cleanups.push(async () => {
    await client.close();
    await discovery.close();
  });
  return client;
}

/** An instance of `service` (track `track`, or none) that calls `next` and reports the chain. */
async function start(service: string, id: string, track: string | undefined, next?: EchoClient): Promise<void> {
  const server = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: echoImplementation(id, next ? () => next.say({ message: id }) : undefined),
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  await registry.register({ id, service, host: '127.0.0.1', ports: { grpc: port }, metadata: track ? { track } : {} });
}

describe('track routing across hops', () => {
  it('keeps a request in its track on every hop, and untracked requests off track instances', async () => {
    const toCatalog = clientFor('catalog');
    await start('catalog', 'catalog-a', undefined);
    await start('catalog', 'catalog-b', 'b');
    await start('recommendation', 'reco-a', undefined, toCatalog);
    await start('recommendation', 'reco-b', 'b', toCatalog);
    const entry = clientFor('recommendation');
    const chain = async (track?: string): Promise<string[]> => {
      const call = () => entry.say({ message: 'go' });
      const reply = track ? await runInCallScope({ deadline: Date.now() + 2_000, track }, call) : await call();
      return [reply.servedBy, (JSON.parse(reply.message) as Reply).servedBy];
    };
    for (let i = 0; i < 20; i++) expect(await chain('b')).toEqual(['reco-b', 'catalog-b']);
    for (let i = 0; i < 20; i++) expect(await chain()).toEqual(['reco-a', 'catalog-a']);
  });
});
