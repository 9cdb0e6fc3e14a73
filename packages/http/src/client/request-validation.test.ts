import { createHttpClient, httpHandler } from '@switchyard/http';
import type { Discovery } from '@switchyard/discovery';
import { runInCallScope } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

/** A discovery that must never be asked: every case here fails before any network work. */
function untouchedDiscovery(): Discovery {
  return {
    service: 'catalog',
    pick: () => {
      throw new Error('pick() must not be called for bad input');
    },
    onChange: () => ({ dispose() {} }),
  } as unknown as Discovery;
}

const client = createHttpClient({ discovery: untouchedDiscovery() });

describe('request validation (nothing is sent)', () => {
  it.each([
    [{ path: 'http://evil.example/x' }, 'request.path', /starting with "\/"/],
    [{ path: 'products/1' }, 'request.path', /starting with "\/"/],
    [{ path: '//evil.example/x' }, 'request.path', /no scheme or host/],
    [{ path: '/a b' }, 'request.path', /spaces/],
    [{ path: '/x\r\nHost: evil' }, 'request.path', /control characters/],
    [{ path: '/x', headers: { 'x-user': 'a\r\nx-admin: 1' } }, 'request.headers.x-user', /CR, LF or NUL/],
    [{ path: '/x', headers: { 'x-user\r\nx-admin': '1' } }, 'request.headers', /HTTP tokens/],
    [{ path: '/x', headers: { 'bad name': '1' } }, 'request.headers', /HTTP tokens/],
    [{ path: '/products/日本' }, 'request.path', /must be ASCII.*%E6%97%A5%E6%9C%AC/],
    [{ path: '/caf\u00e9' }, 'request.path', /must be ASCII/],
    [{ path: '/x#top' }, 'request.path', /starting with "\/"/],
    [
      { path: '/x', headers: { 'Transfer-Encoding': 'chunked' } },
      'request.headers.Transfer-Encoding',
      /per-connection/,
    ],
    [{ path: '/x', headers: { connection: 'upgrade' } }, 'request.headers.connection', /per-connection/],
    [{ path: '/x', headers: { Expect: '100-continue' } }, 'request.headers.Expect', /per-connection/],
    [{ path: '/x', deadlineMs: -1 }, 'request.deadlineMs', />= 0/],
    [{ path: '/x', deadlineMs: Number.NaN }, 'request.deadlineMs', />= 0/],
    [{ path: '/x', body: 'hello' }, 'request.body', /GET requests carry no body/],
    [{ method: 'HEAD', path: '/x', body: 'hello' }, 'request.body', /HEAD requests carry no body/],
    [{ method: 'POST', path: '/x', body: { id: 1 } }, 'request.body', /postJson/],
    [{ method: 'GE T', path: '/x' }, 'request.method', /token/],
    [{ path: '/x', timeoutMs: 5 }, 'request.timeoutMs', /unknown option/],
    [{ path: '/x', query: { tags: [{}] } }, 'request.query.tags', /string, number, boolean/],
    // A number that is not finite (parseInt of a missing value) went out as `page=NaN`, `x-count: Infinity`.
    [{ path: '/x', query: { page: Number.NaN } }, 'request.query.page', /finite number, got NaN/],
    [{ path: '/x', query: { ids: [1, Number.POSITIVE_INFINITY] } }, 'request.query.ids', /finite number, got Infinity/],
    [{ path: '/x', headers: { 'X-Count': Number.NaN } }, 'request.headers.X-Count', /finite number, got NaN/],
    [{ path: '/x', signal: 'stop' }, 'request.signal', /AbortSignal/],
  ])('%o → INVALID_ARGUMENT on %s', async (request, field, rule) => {
    const error = await client.request(request as never).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field });
    expect((error as Error).message).toMatch(rule);
  });

  it('rejects JSON helper misuse and unknown client options', async () => {
    await expect(client.getJson('relative')).rejects.toMatchObject({ field: 'request.path' });
    await expect(client.postJson('/x', { n: 1n })).rejects.toMatchObject({ field: 'value' });
    expect(() => createHttpClient({ discovery: untouchedDiscovery(), retries: 3 } as never)).toThrow(
      /options\.retries: unknown option/,
    );
    expect(() => createHttpClient({} as never)).toThrow(/options\.discovery/);
    expect(() => createHttpClient({ discovery: untouchedDiscovery(), deadlineHeader: 'x y' })).toThrow(
      /options\.deadlineHeader/,
    );
    expect(() => createHttpClient({ discovery: untouchedDiscovery(), retryableStatuses: [200] })).toThrow(
      /options\.retryableStatuses\[0\]/,
    );
  });

  it('rejects a deadlineHeader that HTTP or the client already uses, on the client and on the server', () => {
    // As the client's header these broke every request (undici refused per-connection names,
    // content-length and host broke framing and addressing); as the server's, `content-length: 0`
    // read as "no time left" and a bodyless POST was answered 504.
    for (const name of ['content-length', 'Connection', 'host', 'transfer-encoding', 'content-type', 'traceparent']) {
      expect(() => createHttpClient({ discovery: untouchedDiscovery(), deadlineHeader: name })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.deadlineHeader' }),
      );
      expect(() => httpHandler(() => {}, { deadlineHeader: name })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.deadlineHeader' }),
      );
    }
    expect(() => createHttpClient({ discovery: untouchedDiscovery(), deadlineHeader: 'X-Budget-Ms' })).not.toThrow();
    expect(() => httpHandler(() => {}, { deadlineHeader: 'X-Budget-Ms' })).not.toThrow();
  });

  it('rejects pool options undici would refuse when the client is made, naming the field', () => {
    // They used to pass here and fail every call with undici's own error, each blamed on the instance.
    for (const poolOptions of [{ connections: -3 }, { connect: 5 }, { keepAliveTimeout: -1 }, { bodyTimeout: -1 }]) {
      expect(() => createHttpClient({ discovery: untouchedDiscovery(), poolOptions: poolOptions as never })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.poolOptions' }),
      );
    }
    expect(() => createHttpClient({ discovery: untouchedDiscovery(), poolOptions: { connections: 4 } })).not.toThrow();
  });

  it('rejects JSON helper options that are not an object, or headers that are not one', async () => {
    // Both used to be ignored without a word (the request went out without the caller's headers).
    for (const options of [5, 'fast', true]) {
      await expect(client.getJson('/x', options as never)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'options',
      });
      await expect(client.postJson('/x', {}, options as never)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'options',
      });
    }
    for (const headers of [5, 'x-a: 1', ['x-a']]) {
      await expect(client.getJson('/x', { headers: headers as never })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'request.headers',
      });
    }
  });

  it('fails with DEADLINE_EXCEEDED, without network, when no time is left', async () => {
    await expect(client.request({ path: '/x', deadlineMs: 0 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await expect(client.request({ path: '/x', deadline: Date.now() - 1 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    // Inherited from the request being served: already past.
    const inherited = runInCallScope({ deadline: Date.now() - 5 }, () => client.getJson('/x'));
    await expect(inherited).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('rejects bad server options naming the field', () => {
    expect(() => httpHandler('nope' as never)).toThrow(/handler: must be a function/);
    expect(() => httpHandler(() => {}, { healthPaths: { live: 'healthz' } })).toThrow(/options\.healthPaths\.live/);
    expect(() => httpHandler(() => {}, { health: {} as never })).toThrow(/options\.health/);
    expect(() => httpHandler(() => {}, { tracng: true } as never)).toThrow(/options\.tracng: unknown option/);
  });
});
