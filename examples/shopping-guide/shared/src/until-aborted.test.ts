import { describe, expect, it } from 'vitest';
import { untilAborted } from './until-aborted.js';

describe('untilAborted', () => {
  it("rejects with the signal's reason as it aborts, while the shared work goes on", async () => {
    let finish: (value: string) => void = () => {};
    const work = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const controller = new AbortController();
    const leaves: boolean[] = [];
    const waiting = untilAborted(work, controller.signal, (aborted) => leaves.push(aborted));
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(leaves).toEqual([true]);
    finish('done');
    await expect(work).resolves.toBe('done');
    expect(leaves).toEqual([true]); // told once
  });

  it('passes the result or failure through and removes its listener', async () => {
    const controller = new AbortController();
    const leaves: boolean[] = [];
    await expect(untilAborted(Promise.resolve(1), controller.signal, (aborted) => leaves.push(aborted))).resolves.toBe(
      1,
    );
    await expect(untilAborted(Promise.reject(new Error('boom')), controller.signal)).rejects.toThrow('boom');
    controller.abort();
    expect(leaves).toEqual([false]);
  });

  it('rejects at once for a signal already aborted, and waits plainly without one', async () => {
    await expect(untilAborted(new Promise(() => {}), AbortSignal.abort())).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    await expect(untilAborted(Promise.resolve('x'), undefined)).resolves.toBe('x');
  });
});
