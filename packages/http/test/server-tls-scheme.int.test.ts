import { once } from 'node:events';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect as http2Connect, createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { httpHandler, switchyardFastify } from '@switchyard/http';
import { initMetrics, initTracing, type Metrics, type Tracing } from '@switchyard/tracing';
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CertificateFactory, type TestCa, type TestCert } from '../../security-tests/src/support/certificates.js';
import { json, Loopback } from './fixtures/loopback.js';

let tracing: Tracing;
let metrics: Metrics;
let pki: CertificateFactory;
let ca: TestCa;
let cert: TestCert;
let tlsAgent: Agent;
let loopback: Loopback;
beforeAll(async () => {
  tracing = initTracing({ serviceName: 'http-tls-test', exporter: 'memory' });
  metrics = await initMetrics({ serviceName: 'http-tls-test', port: 0, host: '127.0.0.1' });
  pki = new CertificateFactory();
  ca = pki.createCa('test-ca');
  cert = pki.issue(ca, 'server', ['IP:127.0.0.1']);
  tlsAgent = new Agent({ connect: { ca: ca.cert } });
});
afterAll(async () => {
  await tlsAgent.close();
  await metrics.shutdown();
  await tracing.shutdown();
  pki.remove();
});
beforeEach(() => {
  loopback = new Loopback();
  tracing.memoryExporter?.reset();
});
afterEach(() => loopback.cleanup());

function listenTls(server: HttpsServer | Http2SecureServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** The SERVER span whose url.path is `path`, once it has ended. */
async function serverSpan(path: string) {
  await expect
    .poll(() => tracing.getFinishedSpans().some((s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === path))
    .toBe(true);
  const span = tracing.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === path);
  if (!span) throw new Error(`no server span for ${path}`);
  return span;
}

/** The label sets of the `http.server.request.duration` series in a scrape. */
async function serverDurationSeries(): Promise<Record<string, string>[]> {
  const text = await metrics.scrape();
  return text
    .split('\n')
    .filter((line) => line.startsWith('http_server_request_duration_count{'))
    .map((line) => {
      const labels: Record<string, string> = {};
      for (const [, name, value] of line.matchAll(/(\w+)="([^"]*)"/g)) labels[name as string] = value as string;
      return labels;
    });
}

async function seriesWhere(match: Record<string, string>): Promise<Record<string, string>> {
  const matches = (labels: Record<string, string>) => Object.entries(match).every(([k, v]) => labels[k] === v);
  await expect.poll(async () => (await serverDurationSeries()).some(matches)).toBe(true);
  return (await serverDurationSeries()).find(matches) as Record<string, string>;
}

describe('url.scheme of HTTP SERVER spans and http.server.request.duration on TLS servers', () => {
  it('is https for node:https, node:http2 secure servers and Fastify with https; http for plain node:http', async () => {
    const listener = httpHandler((_request, response) => json(response, 200, {}));
    const https = createHttpsServer({ key: cert.key, cert: cert.cert }, listener);
    const httpsPort = await listenTls(https);
    loopback.onCleanup(() => new Promise((resolve) => https.close(resolve)));
    const h2 = createSecureServer({ key: cert.key, cert: cert.cert }, listener as never);
    const h2Port = await listenTls(h2);
    loopback.onCleanup(() => new Promise((resolve) => h2.close(resolve)));
    const app = Fastify({ https: { key: cert.key, cert: cert.cert } });
    await app.register(switchyardFastify);
    app.get('/fastify/:id', async () => ({}));
    await app.listen({ port: 0, host: '127.0.0.1' });
    loopback.onCleanup(() => app.close());
    const fastifyPort = (app.server.address() as AddressInfo).port;
    const { port: plainPort } = await loopback.serve('plain', (_request, response) => json(response, 200, {}));

    await (await request(`https://127.0.0.1:${httpsPort}/https`, { dispatcher: tlsAgent })).body.text();
    await (await request(`https://127.0.0.1:${fastifyPort}/fastify/1`, { dispatcher: tlsAgent })).body.text();
    await (await request(`http://127.0.0.1:${plainPort}/plain`)).body.text();
    const session = http2Connect(`https://127.0.0.1:${h2Port}`, { ca: ca.cert });
    const stream = session.request({ ':path': '/h2' });
    stream.resume();
    await once(stream, 'end');
    session.close();

    for (const [path, scheme] of [
      ['/https', 'https'],
      ['/h2', 'https'],
      ['/fastify/1', 'https'],
      ['/plain', 'http'],
    ] as const) {
      expect({ path, scheme: (await serverSpan(path)).attributes['url.scheme'] }).toEqual({ path, scheme });
    }
    // The metric carries the same scheme (and Fastify's route, as the span does).
    await seriesWhere({ url_scheme: 'https', http_route: '/fastify/:id', http_response_status_code: '200' });
    const plain = await seriesWhere({ url_scheme: 'http', http_response_status_code: '200' });
    expect(plain.http_request_method).toBe('GET');
  });

  it('records the metric with the attributes of the span: _OTHER methods, the route, error.type for a 5xx', async () => {
    const { port } = await loopback.serve('plain', (_request, response) => json(response, 503, {}));
    const app = Fastify({ https: { key: cert.key, cert: cert.cert } });
    await app.register(switchyardFastify);
    app.get('/items/:id', async (_request, reply) => reply.code(500).send({}));
    await app.listen({ port: 0, host: '127.0.0.1' });
    loopback.onCleanup(() => app.close());
    const fastifyPort = (app.server.address() as AddressInfo).port;

    await (await request(`http://127.0.0.1:${port}/dav`, { method: 'PROPFIND' as never })).body.text();
    await (await request(`https://127.0.0.1:${fastifyPort}/items/7`, { dispatcher: tlsAgent })).body.text();

    const dav = await serverSpan('/dav');
    expect(dav.attributes).toMatchObject({
      'http.request.method': '_OTHER',
      'http.response.status_code': 503,
      'error.type': '503',
    });
    expect(
      await seriesWhere({ http_request_method: '_OTHER', http_response_status_code: '503', url_scheme: 'http' }),
    ).toMatchObject({ error_type: '503' });
    const item = await serverSpan('/items/7');
    expect(item.attributes).toMatchObject({
      'http.route': '/items/:id',
      'url.scheme': 'https',
      'http.response.status_code': 500,
      'error.type': '500',
    });
    expect(
      await seriesWhere({ http_route: '/items/:id', url_scheme: 'https', http_response_status_code: '500' }),
    ).toMatchObject({ http_request_method: 'GET', error_type: '500' });
  });
});
