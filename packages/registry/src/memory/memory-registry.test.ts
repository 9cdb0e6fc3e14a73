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
