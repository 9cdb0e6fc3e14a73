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
