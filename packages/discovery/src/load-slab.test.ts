import { afterEach, describe, expect, it, vi } from 'vitest';
import { LoadSlab, OUTSTANDING } from './load-slab.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('LoadSlab', () => {
  it('reuses a released line only after a minute, and only once its leases have all ended', () => {
    vi.useFakeTimers();
    const slab = new LoadSlab(1_000);
    const line = slab.allocate();
    // A lease (a long stream) is still open on the line when its member leaves.
    slab.array[line + OUTSTANDING] = 1;
    slab.release(line);
    vi.advanceTimersByTime(61_000);
    const other = slab.allocate();
    expect(other).not.toBe(line);
    // The lease ends; a minute later the line is free again, and comes back zeroed.
    slab.array[line + OUTSTANDING] = 0;
    vi.advanceTimersByTime(60_000);
    expect(slab.allocate()).toBe(line);
    expect(slab.array[line + OUTSTANDING]).toBe(0);
  });

  it('reuses an idle released line after a minute, not before', () => {
    vi.useFakeTimers();
    const slab = new LoadSlab(1_000);
    const line = slab.allocate();
    slab.release(line);
    vi.advanceTimersByTime(59_000);
    expect(slab.allocate()).not.toBe(line);
    vi.advanceTimersByTime(2_000);
    expect(slab.allocate()).toBe(line);
  });
});
