import { silentLogger } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { createRegistry, MemoryRegistry, MemoryStore, type RegistryEvent } from '@switchyard/registry';
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

describe('MemoryRegistry events from a listener that writes', () => {
  const instanceX = { id: 'x', service: 'catalog', host: 'localhost', ports: { http: 1 } };
  /** The instances a watcher's events add up to, as a discovery keeps them. */
  function viewOf(events: readonly RegistryEvent[]): string[] {
    const ids = new Set<string>();
    for (const event of events) {
      if (event.type === 'snapshot') {
        ids.clear();
        for (const instance of event.instances) ids.add(instance.id);
      } else if (event.type === 'up' || event.type === 'update') ids.add(event.instance.id);
      else if (event.type === 'down') ids.delete(event.id);
    }
    return [...ids].sort();
  }

  it('tells every watcher a change made by another watcher in its listener after the change it reacted to', async () => {
    const registry = new MemoryRegistry();
    const registration = await registry.register(instanceX);
    const second: RegistryEvent[] = [];
    // The first watcher deregisters an instance once it is marked for retirement (a test harness,
    // a controller reacting to what it sees): the store publishes the removal while it is still
    // telling watchers about the update.
    await registry.watch('catalog', (event) => {
      if (event.type === 'update' && event.instance.metadata.retire === 'now') void registration.deregister();
    });
    await registry.watch('catalog', (event) => second.push(event));
    await registration.update({ metadata: { retire: 'now' } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await registry.list('catalog')).toEqual([]);
    // In the order they were made: it used to hear 'down' before 'update', and kept x for good.
    expect(second.map((event) => event.type)).toEqual(['snapshot', 'update', 'down']);
    expect(viewOf(second)).toEqual([]);
    await registry.close();
  });

  it('does not send a watcher started by a listener the change its first snapshot already shows', async () => {
    const registry = new MemoryRegistry();
    const late: RegistryEvent[] = [];
    await registry.watch('catalog', (event) => {
      if (event.type === 'up') void registry.watch('catalog', (seen) => late.push(seen));
    });
    await registry.register(instanceX);
    await new Promise((resolve) => setImmediate(resolve));
    // 'Listeners never receive an event identical to the state they already have.'
    expect(late.map((event) => event.type)).toEqual(['snapshot']);
    expect(viewOf(late)).toEqual(['x']);
    await registry.close();
  });
});

describe('MemoryRegistry listeners that are async functions', () => {
  it('logs the rejection of an async watch listener as it logs a throw, rather than leaving it unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    // Node 20 ends the process on an unhandled rejection; vitest reports it. Heard here instead.
    const previous = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', onUnhandled);
    try {
      const logged: string[] = [];
      const logger = { ...silentLogger, error: (_fields: unknown, message?: string) => logged.push(String(message)) };
      const registry = new MemoryRegistry({ logger });
      // An async listener (it awaits something per event) whose work fails: as common as a sync
      // one that throws, and the type (returning void) takes it.
      await registry.watch('catalog', async (event) => {
        if (event.type === 'up') throw new Error('listener bug');
      });
      await registry.register({ service: 'catalog', host: 'localhost', ports: { http: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      expect(logged).toEqual(['watch listener threw; ignored']);
      await registry.close();
    } finally {
      process.off('unhandledRejection', onUnhandled);
      for (const listener of previous) process.on('unhandledRejection', listener);
    }
  });
});
