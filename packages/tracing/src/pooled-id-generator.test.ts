import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.doUnmock('node:crypto');
  vi.resetModules();
});

describe('PooledIdGenerator', () => {
  it('returns lowercase hex ids of W3C length, unique across many pool refills', async () => {
    const { PooledIdGenerator } = await import('./pooled-id-generator.js');
    const ids = new PooledIdGenerator();
    const seen = new Set<string>();
    for (let n = 0; n < 5_000; n++) {
      const traceId = ids.generateTraceId();
      const spanId = ids.generateSpanId();
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      seen.add(traceId).add(spanId);
    }
    expect(seen.size).toBe(10_000);
  });

  it('never returns an all-zero id, even when the random bytes are zero', async () => {
    // The first refill is all zeros; later ones are real random bytes.
    const real = await vi.importActual<typeof import('node:crypto')>('node:crypto');
    let refills = 0;
    vi.doMock('node:crypto', () => ({
      ...real,
      randomFillSync: (buffer: Buffer) => (refills++ === 0 ? buffer.fill(0) : real.randomFillSync(buffer)),
    }));
    const { PooledIdGenerator } = await import('./pooled-id-generator.js');
    const ids = new PooledIdGenerator();
    expect(ids.generateSpanId()).not.toBe('0'.repeat(16));
    expect(ids.generateTraceId()).not.toBe('0'.repeat(32));
    expect(refills).toBe(2);
  });

  it('spells each pooled byte as two lowercase hex digits, in order', async () => {
    const real = await vi.importActual<typeof import('node:crypto')>('node:crypto');
    // Bytes 0, 1, 2, … 255, 0, 1, …: every digit appears, and each id starts where the last ended.
    vi.doMock('node:crypto', () => ({
      ...real,
      randomFillSync: (buffer: Buffer) => {
        for (let i = 0; i < buffer.length; i++) buffer[i] = i % 256;
        return buffer;
      },
    }));
    const { PooledIdGenerator } = await import('./pooled-id-generator.js');
    const ids = new PooledIdGenerator();
    expect(ids.generateSpanId()).toBe('0001020304050607');
    expect(ids.generateTraceId()).toBe('08090a0b0c0d0e0f1011121314151617');
    const spanIds = Array.from({ length: 28 }, () => ids.generateSpanId());
    expect(spanIds.at(-1)).toBe('f0f1f2f3f4f5f6f7');
    expect(ids.generateSpanId()).toBe('f8f9fafbfcfdfeff');
  });
});
