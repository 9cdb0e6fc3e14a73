import { CancelledError, RegistryUnavailableError } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { awaitFirstSnapshot } from './await-first-snapshot.js';
import type { Discovery } from './discovery.js';

/** Just what awaitFirstSnapshot uses of a discovery: its service name and ready(). */
function discoveryWhoseReady(ready: () => Promise<void>): Discovery {
  return { service: 'catalog', ready } as unknown as Discovery;
}

describe('awaitFirstSnapshot', () => {
  it('says why there is no snapshot, with ready()’s error as the cause, not always "before the deadline"', async () => {
    const closed = new RegistryUnavailableError('catalog: discovery closed before its first snapshot');
    const waiting = awaitFirstSnapshot(
      discoveryWhoseReady(() => Promise.reject(closed)),
      Date.now() + 60_000,
    );
    await expect(waiting).rejects.toMatchObject({
      code: 'NO_INSTANCES',
      message: expect.stringMatching(/discovery closed before its first snapshot/),
      cause: closed,
    });
  });

  it('answers CANCELLED when ready() was cancelled', async () => {
    const waiting = awaitFirstSnapshot(
      discoveryWhoseReady(() => Promise.reject(new CancelledError('stopped'))),
      Date.now() + 60_000,
    );
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
