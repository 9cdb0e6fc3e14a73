import { describe, expect, it } from 'vitest';
import { createRegistry, MemoryRegistry, RedisRegistry } from './index.js';

const caught = (fn: () => unknown): unknown => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error;
  }
};

describe('memory:// parity with redis://, and input checks', () => {
  it('rejects a defaultTtlMs outside 500..86_400_000 for memory:// just as for redis://', async () => {
    // Redis refuses it when the registry is made:
    expect(caught(() => createRegistry('redis://127.0.0.1:1', { defaultTtlMs: 100 }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.defaultTtlMs',
    });
    // memory:// refuses it too (it used to take it, and register() then ran on an invalid TTL).
    let memoryError = caught(() => createRegistry('memory://', { defaultTtlMs: 100 }));
    if (!memoryError) {
      const registry = new MemoryRegistry({ defaultTtlMs: 100 });
      memoryError = await registry.register({ service: 'catalog', host: '127.0.0.1', ports: { grpc: 1 } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await registry.close();
    }
    expect(memoryError).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('rejects a misspelt option for memory:// just as for redis://', () => {
    const options = { defaultTTLMs: 5_000 } as never;
    expect(caught(() => createRegistry('redis://127.0.0.1:1', options))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(caught(() => createRegistry('memory://', options))).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('rejects a logger that is not one for memory:// just as for redis://, and options that are not an object', () => {
    const logger = { info: () => undefined } as never;
    expect(caught(() => createRegistry('redis://127.0.0.1:1', { logger }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.logger',
    });
    // memory:// took it, and the first watch listener that threw then made logging it throw a
    // TypeError out of another client's register(), whose entry stayed in the store unowned.
    expect(caught(() => createRegistry('memory://', { logger }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.logger',
    });
    expect(caught(() => new MemoryRegistry({ logger }))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    // null options: a TypeError for memory:// ("Cannot convert undefined or null to object").
    expect(caught(() => createRegistry('memory://', null as never))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options',
    });
    // redisOptions that are not an object were spread character by character into ioredis's options.
    expect(
      caught(() => createRegistry('redis://127.0.0.1:1', { redisOptions: 'tls' as never, connectTimeoutMs: 10 })),
    ).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'options.redisOptions' });
  });

  it('rejects watch() with a listener that is not a function (INVALID_ARGUMENT), rather than a silent dead watch', async () => {
    const registry = new MemoryRegistry();
    const outcome = await registry.watch('catalog', 'oops' as never).then(
      () => 'resolved',
      (e: { code?: string }) => e.code,
    );
    await registry.close();
    expect(outcome).toBe('INVALID_ARGUMENT');
  });

  it('rejects a standalone URL whose db path is not a number, as INVALID_ARGUMENT naming url', () => {
    const error = caught(() => {
      const r = new RedisRegistry({ url: 'redis://127.0.0.1:1/not-a-db', connectTimeoutMs: 10 });
      void r.close();
    });
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'url' });
  });
});
