import { describe, expect, it, vi } from 'vitest';
import { HeldClosables } from './held-closables.js';

describe('HeldClosables', () => {
  it('closes once however often close() is called, and lets go only when the close is done', async () => {
    const held = new HeldClosables();
    let finish: () => void = () => {};
    const own = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const after = vi.fn(async () => {});
    const resource = held.hold({ close: own }, after);
    const first = resource.close();
    expect(resource.close()).toBe(first);
    expect(held.size).toBe(1); // still closing: stop() would wait for it
    finish();
    await first;
    expect(held.size).toBe(0);
    expect(own).toHaveBeenCalledOnce();
    expect(after).toHaveBeenCalledOnce();
  });

  it("reports the close's own failure over its follow-up's, and the follow-up's alone, always running both", async () => {
    const held = new HeldClosables();
    const after = vi.fn(async () => {
      throw new Error('discovery close failed');
    });
    const failing = held.hold({ close: async () => Promise.reject(new Error('client close failed')) }, after);
    await expect(failing.close()).rejects.toThrow('client close failed');
    expect(after).toHaveBeenCalledOnce();
    const fine = held.hold({ close: async () => {} }, after);
    await expect(fine.close()).rejects.toThrow('discovery close failed');
    expect(held.size).toBe(0);
  });
});
