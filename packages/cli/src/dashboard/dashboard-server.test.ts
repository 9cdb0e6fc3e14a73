import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../index.js';

let registry: MemoryRegistry;
let dashboard: Dashboard | undefined;
const aborts: AbortController[] = [];

afterEach(async () => {
  for (const controller of aborts.splice(0)) controller.abort();
  await dashboard?.close();
  await registry?.close();
});

interface SseEvent {
  event: string;
  data: { service?: string; services?: unknown[]; instances?: { id: string }[] };
}

/** A minimal EventSource: collects events and lets the test wait for the next matching one. */
async function openEvents(url: string) {
  const controller = new AbortController();
  aborts.push(controller);
  const response = await fetch(url, { signal: controller.signal });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = '';
  let seen = 0;
  return {
    events,
    /** The next event (after the ones already returned) that passes `test`. */
    async next(test: (event: SseEvent) => boolean): Promise<SseEvent> {
      for (;;) {
        while (seen < events.length) {
          const event = events[seen++] as SseEvent;
          if (test(event)) return event;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('event stream ended');
        buffer += value;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
    },
  };
}

describe('startDashboard', () => {
  it('serves the page, the JSON view and an event stream: snapshot first, then changes', async () => {
    registry = new MemoryRegistry();
    await registry.register({
      id: 'a-1',
      service: 'alpha',
      host: '10.0.0.1',
      ports: { grpc: 50051 },
      version: '1.0.0',
    });
    dashboard = await startDashboard({ registry, port: 0, servicesPollMs: 50, leaseRefreshMs: 60_000 });
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const page = await fetch(dashboard.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("new EventSource('events')");
    expect(html).not.toContain('innerHTML');

    const json = (await (await fetch(new URL('api/services', dashboard.url))).json()) as {
      services: { service: string; instances: { id: string; ageMs: null }[] }[];
    };
    expect(json.services.map((view) => view.service)).toEqual(['alpha']);
    // The memory backend has no lease keys to read: ages are unknown, not made up.
    expect(json.services[0]?.instances[0]).toMatchObject({ id: 'a-1', ageMs: null, expiresInMs: null });

    const stream = await openEvents(new URL('events', dashboard.url).href);
    const first = await stream.next(() => true);
    expect(first).toMatchObject({ event: 'snapshot', data: { services: [{ service: 'alpha' }] } });

    const beta = await registry.register({ id: 'b-1', service: 'beta', host: '10.0.0.2', ports: { http: 8080 } });
    expect(await stream.next((event) => event.data.service === 'beta')).toMatchObject({
      event: 'service',
      data: { service: 'beta', stale: false, route: null, instances: [{ id: 'b-1', status: 'up' }] },
    });
    await beta.update({ status: 'draining' });
    expect(await stream.next((event) => event.data.service === 'beta')).toMatchObject({
      data: { instances: [{ id: 'b-1', status: 'draining' }] },
    });
    await beta.deregister();
    expect(await stream.next((event) => event.data.service === 'beta')).toMatchObject({
      event: 'service',
      data: { service: 'beta', instances: [] },
    });
    // With no instance left, the service leaves the page at the next service-list poll.
    expect(await stream.next((event) => event.event === 'removed')).toEqual({
      event: 'removed',
      data: { service: 'beta' },
    });
  });

  it('escapes the title it renders into the page', async () => {
    registry = new MemoryRegistry();
    dashboard = await startDashboard({ registry, port: 0, title: '<script>alert(1)</script>' });
    const html = await (await fetch(dashboard.url)).text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it('answers only to loopback names, IP addresses and its allowed host names', async () => {
    registry = new MemoryRegistry();
    dashboard = await startDashboard({ registry, port: 0, allowedHosts: ['Dashboard.Internal'] });
    const url = new URL('api/services', dashboard.url);
    const statuses = await Promise.all(
      ['attacker.example', 'localhost', '10.1.2.3:7070', '[fd00::1]:7070', 'dashboard.internal:7070'].map((host) =>
        statusWithHost(url, host),
      ),
    );
    expect(statuses).toEqual([403, 200, 200, 200, 200]);
  });

  it('caps event streams, and closes one whose client stopped reading once too much is queued for it', async () => {
    registry = new MemoryRegistry();
    // Every change sends the whole view: 20 instances with 3.5 KB of metadata each, ~70 KB an event.
    const padding = 'x'.repeat(3_500);
    const registrations = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        registry.register({
          id: `a-${n}`,
          service: 'alpha',
          host: '10.0.0.1',
          ports: { grpc: 1 },
          metadata: { padding },
        }),
      ),
    );
    const registration = registrations[0]!;
    dashboard = await startDashboard({
      registry,
      port: 0,
      servicesPollMs: 50,
      leaseRefreshMs: 60_000,
      maxStreams: 1,
      maxStreamBufferBytes: 64 * 1024,
    });
    const { port } = new URL(dashboard.url);
    // A client that asks for the stream and never reads a byte of it.
    const stalled = connect(Number(port), '127.0.0.1');
    stalled.pause();
    stalled.on('error', () => {});
    stalled.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    await expect.poll(() => statusWithHost(new URL('events', dashboard?.url), '127.0.0.1')).toBe(503);
    // Far more than the socket buffers hold (~35 MB at most; it is cut off long before).
    for (let n = 0; n < 500; n++) {
      await registration.update({ metadata: { padding, n: String(n) } });
      if (n % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // It was cut off: its slot is free again (a stalled stream that stayed would hold it for good).
    await expect.poll(() => statusWithHost(new URL('events', dashboard?.url), '127.0.0.1')).toBe(200);
    stalled.destroy();
  });

  it('takes an option given as undefined as its default (`host: process.env.DASHBOARD_HOST`)', async () => {
    registry = new MemoryRegistry();
    const env: Record<string, string | undefined> = {};
    dashboard = await startDashboard({
      registry,
      port: 0,
      host: env.DASHBOARD_HOST,
      title: env.DASHBOARD_TITLE,
      allowedHosts: undefined,
      maxStreams: undefined,
      keepAliveMs: undefined,
      maxStreamBufferBytes: undefined,
    });
    // Bound to loopback, not to every interface, and it still refuses foreign names.
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await statusWithHost(new URL('healthz', dashboard.url), 'attacker.example')).toBe(403);
  });

  it('refuses an empty host, which Node would bind to every interface', async () => {
    registry = new MemoryRegistry();
    await expect(startDashboard({ registry, port: 0, host: ' ' })).rejects.toThrow(/^host: must not be empty/);
  });

  it('refuses bad options with INVALID_ARGUMENT naming the option, before anything starts', async () => {
    registry = new MemoryRegistry();
    let listed = 0;
    const services = registry.services.bind(registry);
    registry.services = () => {
      listed++;
      return services();
    };
    const bad: [Record<string, unknown>, string][] = [
      [{}, 'registry'],
      [{ registry: {} }, 'registry'],
      [{ registry, inspector: {} }, 'inspector'],
      [{ registry, port: 'abc' }, 'port'],
      [{ registry, port: 70_000 }, 'port'],
      [{ registry, title: 5 }, 'title'],
      [{ registry, servicesPollMs: 0 }, 'servicesPollMs'],
      [{ registry, leaseRefreshMs: -5 }, 'leaseRefreshMs'],
      [{ registry, keepAliveMs: 0 }, 'keepAliveMs'],
      [{ registry, maxStreams: 0 }, 'maxStreams'],
      [{ registry, maxStreamBufferBytes: 'big' }, 'maxStreamBufferBytes'],
      [{ registry, allowedHosts: 'dashboard.internal' }, 'allowedHosts'],
      [{ registry, allowedHosts: [''] }, 'allowedHosts[0]'],
      // Names that the Host check (a name, on any port) could never match: each used to be taken,
      // and every request under that name was then refused 403 with no hint why.
      [{ registry, allowedHosts: ['dashboard.internal:7070'] }, 'allowedHosts[0]'],
      [{ registry, allowedHosts: ['ok.internal', 'http://dashboard.internal/'] }, 'allowedHosts[1]'],
      [{ registry, allowedHosts: ['dash board'] }, 'allowedHosts[0]'],
      [{ registry, prot: 7070 }, 'options.prot'],
    ];
    for (const [options, field] of bad) {
      await expect(startDashboard(options as never), field).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field });
    }
    expect(listed).toBe(0);
  });

  it('answers HEAD /events with the headers at once, without taking an event-stream slot', async () => {
    registry = new MemoryRegistry();
    dashboard = await startDashboard({ registry, port: 0, maxStreams: 1 });
    const url = new URL('events', dashboard.url);
    const head = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5_000) });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await statusWithHost(url, '127.0.0.1')).toBe(200);
  });

  it('answers 404, not 500, for a service name with a malformed %-escape', async () => {
    registry = new MemoryRegistry();
    dashboard = await startDashboard({ registry, port: 0 });
    expect((await fetch(new URL('api/services/%E0%A4%A', dashboard.url))).status).toBe(404);
  });

  it('takes a path that starts with // as a path: 404 for an unknown one, not 500 nor another endpoint', async () => {
    // Before: the request target was parsed as a URL reference, where `//x/y` names host x and path
    // /y: `//` failed to parse (500 "internal error"), `//events` served the page and
    // `//x/api/services` the JSON of /api/services.
    registry = new MemoryRegistry();
    dashboard = await startDashboard({ registry, port: 0 });
    const answers = await Promise.all(
      ['//', '//events', '//x/api/services', '//healthz'].map(async (path) => {
        const { status, body } = await rawGet(dashboard as Dashboard, path);
        return `${path} → ${status} ${body.slice(0, 40).trim()}`;
      }),
    );
    expect(answers).toEqual([
      '// → 404 {"error":"not found"}',
      '//events → 404 {"error":"not found"}',
      '//x/api/services → 404 {"error":"not found"}',
      '//healthz → 404 {"error":"not found"}',
    ]);
    // A query string and dot segments are still read as before.
    expect((await rawGet(dashboard, '/healthz?probe=1')).status).toBe(200);
    expect((await rawGet(dashboard, '/api/../healthz')).status).toBe(200);
  });

  it('starts with the services it can watch when one watch fails, and warns once of that one', async () => {
    // Before: one service's failed watch failed the whole start (one corrupt service hid the others).
    registry = new MemoryRegistry();
    await registry.register({ id: 'a-1', service: 'alpha', host: '10.0.0.1', ports: { grpc: 1 } });
    await registry.register({ id: 'b-1', service: 'beta', host: '10.0.0.1', ports: { grpc: 1 } });
    const watch = registry.watch.bind(registry);
    registry.watch = async (service, listener) => {
      if (service === 'beta') throw new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
      return watch(service, listener);
    };
    const warnings: unknown[][] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      error: () => {},
      warn: (...entry: unknown[]) => warnings.push(entry),
    };
    dashboard = await startDashboard({ registry, port: 0, logger, servicesPollMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // several polls, each trying beta again
    const body = (await (await fetch(new URL('api/services', dashboard.url))).json()) as { services: unknown[] };
    expect(body.services).toEqual([expect.objectContaining({ service: 'alpha' })]);
    expect(warnings).toEqual([
      [{ service: 'beta', error: expect.stringMatching(/WRONGTYPE/) }, 'left out until it can be watched'],
    ]);
  });

  it('stops the watches it opened when its start fails partway', async () => {
    registry = new MemoryRegistry();
    await registry.register({ id: 'a-1', service: 'alpha', host: '10.0.0.1', ports: { grpc: 1 } });
    const open = new Set<string>();
    const everOpened = new Set<string>();
    const watch = registry.watch.bind(registry);
    registry.watch = async (service, listener) => {
      const stop = await watch(service, listener);
      open.add(service);
      everOpened.add(service);
      return async () => {
        open.delete(service);
        await stop();
      };
    };
    // The watches are open by the time the server fails to listen on a port already taken.
    const otherRegistry = new MemoryRegistry();
    const taken = await startDashboard({ registry: otherRegistry, port: 0 });
    try {
      await expect(startDashboard({ registry, port: taken.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await taken.close();
      await otherRegistry.close();
    }
    expect(everOpened).toEqual(new Set(['alpha']));
    expect(open).toEqual(new Set());
  });
});

/** The status of a GET with the given Host header (the body is not read). */
function statusWithHost(url: URL, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { host } }, (response) => {
      resolve(response.statusCode ?? 0);
      response.destroy();
    });
    request.on('error', reject);
    request.end();
  });
}

/** GET with the request target exactly as given (fetch and URL would normalise it). */
function rawGet(dashboard: Dashboard, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port: dashboard.port, path }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}
