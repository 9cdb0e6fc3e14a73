import { describe, expect, it } from 'vitest';
import { createRegistry, MemoryRegistry, MemoryStore } from '@switchyard/registry';
import { describeRegistry } from '@switchyard/registry/testing';

describeRegistry('MemoryRegistry', () => {
  const store = new MemoryStore();
  return { newClient: () => new MemoryRegistry({ store }) };
});

describe('createRegistry', () => {
  it('shares named memory stores within the process', async () => {
    const a = createRegistry('memory://shop-test');
    const b = createRegistry('memory://shop-test');
    await a.register({ service: 'catalog', host: 'localhost', ports: { http: 8080 } });
    expect(await b.list('catalog')).toHaveLength(1);
    expect(await createRegistry('memory://').list('catalog')).toHaveLength(0);
    await a.close();
  });

  it('names the known schemes for an unknown one', () => {
    expect(() => createRegistry('consul://x')).toThrow(
      /unknown registry scheme "consul:\/\/"; expected one of memory:\/\/, redis:\/\//,
    );
    expect(() => createRegistry('nonsense')).toThrow(/url: must be a registry URL/);
  });

  it('masks passwords in errors', () => {
    expect(() => createRegistry('redis-sentinel://user:hunter2@h1:1')).toThrow(/user:\*\*\*@/);
    expect(() => createRegistry('redis-sentinel://user:hunter2@h1:1')).not.toThrow(/hunter2/);
  });
});

describe('MemoryRegistry replacement', () => {
  it('tells a registration at once when a new one takes its id (its listeners hear lost)', async () => {
    const store = new MemoryStore();
    const a = new MemoryRegistry({ store });
    const b = new MemoryRegistry({ store });
    const old = await a.register({ id: 'x', service: 'catalog', host: 'localhost', ports: { http: 1 } });
    const heard: string[] = [];
    old.onStateChange((state) => heard.push(state));
    await b.register({ id: 'x', service: 'catalog', host: 'localhost', ports: { http: 2 } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toEqual(['lost']); // was [] until something read old.state
    await a.close();
    await b.close();
  });
});

describe('MemoryRegistry memory under churn', () => {
  /** The private bookkeeping these tests watch (what must not grow with churn). */
  const registrationsOf = (registry: MemoryRegistry): Set<unknown> =>
    (registry as unknown as { registrations: Set<unknown> }).registrations;
  const sizesOf = (store: MemoryStore) => {
    const inner = store as unknown as {
      entries: Map<string, unknown>;
      states: Map<string, unknown>;
      watchers: Map<string, unknown>;
    };
    return { entries: inner.entries.size, states: inner.states.size, watchers: inner.watchers.size };
  };

  it('lets go of registrations replaced under the same id', async () => {
    const store = new MemoryStore();
    const a = new MemoryRegistry({ store });
    const b = new MemoryRegistry({ store });
    // A process that registers itself again (or another over the same store) 200 times.
    for (let index = 0; index < 100; index++) {
      await a.register({ id: 'x', service: 'catalog', host: 'localhost', ports: { http: 1 } });
      await b.register({ id: 'x', service: 'catalog', host: 'localhost', ports: { http: 2 } });
    }
    await new Promise((resolve) => setImmediate(resolve));
    // Only the current owner is kept (by b); a keeps none: every one of its registrations was replaced.
    expect(registrationsOf(a).size).toBe(0);
    expect(registrationsOf(b).size).toBe(1);
    await a.close();
    await b.close();
  });

  it('keeps nothing for services that came and went', async () => {
    const store = new MemoryStore();
    const registry = new MemoryRegistry({ store });
    for (let index = 0; index < 100; index++) {
      const service = `service-${index}`;
      const stop = await registry.watch(service, () => {});
      const registration = await registry.register({ service, host: 'localhost', ports: { http: 1 } });
      await registration.deregister();
      await stop();
      // A name only watched (a dashboard asked about it), or routed and unrouted.
      await (await registry.watch(`watched-${index}`, () => {}))();
      const routed = await registry.register({
        service: `routed-${index}`,
        version: 'v1',
        host: 'localhost',
        ports: { http: 1 },
      });
      await registry.setRoute(`routed-${index}`, { splits: { v1: 100 } });
      await registry.setRoute(`routed-${index}`, undefined);
      await routed.deregister();
    }
    expect(sizesOf(store)).toEqual({ entries: 0, states: 0, watchers: 0 });
    // What is still there stays: a live instance, a route, a watcher.
    await registry.register({ service: 'live', host: 'localhost', ports: { http: 1 } });
    const routed = await registry.register({ service: 'routed', version: 'v1', host: 'localhost', ports: { http: 1 } });
    await registry.setRoute('routed', { splits: { v1: 100 } });
    await routed.deregister(); // the route outlives the instance it was set for
    const stop = await registry.watch('watched', () => {});
    expect(await registry.list('live')).toHaveLength(1);
    expect(await registry.getRoute('routed')).toEqual({ splits: { v1: 100 } });
    expect(sizesOf(store).watchers).toBe(1);
    await stop();
    await registry.close();
  });
});
