import { createHttpClient } from '@switchyard/http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise.then(() => 'settled'), new Promise((resolve) => setTimeout(() => resolve('hung'), ms))]);

/** What a refused call left behind: whether a later call succeeds, and whether close() settles. */
async function afterRefusal(web: ReturnType<typeof createHttpClient>): Promise<{ later: unknown; closed: unknown }> {
  const later = await web.getJson('/health-check', { deadlineMs: 1_000 }).then(
    () => 'ok',
    (error: { code?: string }) => error.code,
  );
  return { later, closed: await within(web.close(), 1_000) };
}

describe('a header value undici refuses (not CR/LF/NUL)', () => {
  it('is rejected before sending, and does not wedge the instance pool for later calls', async () => {
    let hits = 0;
    await loopback.serve('a', (request, response) => {
      hits++;
      json(response, 200, { ok: request.url });
    });
    // A bounded pool per instance, as many deployments configure. (Built by hand: closing a
    // wedged client never resolves, which would hang the fixture's cleanup.)
    const web = createHttpClient({ discovery: await loopback.discover(), poolOptions: { connections: 1 } });
    // e.g. a user's name forwarded in a header: '€' is outside what undici accepts in a value.
    const refused = await web
      .getJson('/profile', { headers: { 'x-user-name': 'Zoë €uro' }, deadlineMs: 300 })
      .catch((error: { code?: string }) => error.code);
    expect(refused).toBe('INVALID_ARGUMENT');
    // Observed: every later call to this instance hangs until its deadline (DEADLINE_EXCEEDED,
    // blamed on the instance), and close() never resolves: undici 6.29.1's Pool stays wedged
    // after refusing the header.
    expect({ ...(await afterRefusal(web)), hits }).toEqual({ later: 'ok', closed: 'settled', hits: 1 });
  });

  it('refuses a host header given twice or as an array the same way, before the pick', async () => {
    let hits = 0;
    await loopback.serve('a', (request, response) => {
      hits++;
      json(response, 200, { ok: request.url });
    });
    const web = createHttpClient({ discovery: await loopback.discover(), poolOptions: { connections: 1 } });
    for (const headers of [{ Host: 'a.example', host: 'b.example' }, { host: ['a.example'] }]) {
      const refused = await web
        .getJson('/profile', { headers, deadlineMs: 300 })
        .catch((error: { code?: string; field?: string }) => `${error.code} ${error.field}`);
      expect(refused).toBe('INVALID_ARGUMENT request.headers.host');
    }
    expect({ ...(await afterRefusal(web)), hits }).toEqual({ later: 'ok', closed: 'settled', hits: 1 });
  });
});
