/**
 * `http.client.request.duration`, one sample per attempt: with the service called
 * (`service.peer.name`), a bounded method, and `error.type` for a failed status or for what failed
 * without a response. It had no service (catalog's and search's latencies were one series), the
 * method as given, no `error.type` on 4xx/5xx, and `connection` for every failure without a
 * response, deadlines included.
 */
import { initMetrics, type Metrics } from '@switchyard/tracing';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

let metrics: Metrics;
let loopback: Loopback;
beforeAll(async () => {
  metrics = await initMetrics({ serviceName: 'http-client-metrics', port: 0, host: '127.0.0.1' });
});
afterAll(() => metrics.shutdown());
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

/** The label sets of the `http_client_request_duration` series that name `service`. */
async function clientSeries(service: string): Promise<string[]> {
  const text = await metrics.scrape();
  return text
    .split('\n')
    .filter((line) => line.startsWith('http_client_request_duration_count{'))
    .filter((line) => line.includes(`service_peer_name="${service}"`))
    .map((line) => line.slice(line.indexOf('{') + 1, line.indexOf('}')));
}

it('records each attempt with the service called, its status, and error.type for a failure', async () => {
  await loopback.serve('ok-1', (_request, response) => json(response, 200, { ok: true }), { service: 'metered' });
  const ok = await loopback.client('metered', { policy: false });
  await ok.getJson('/');
  await loopback.serveOverloaded('metered-busy');
  const busy = await loopback.client('metered-busy', { policy: false });
  await expect(busy.getJson('/')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  await loopback.registerDead('gone-1', 'metered-gone');
  const gone = await loopback.client('metered-gone', { policy: false });
  await expect(gone.getJson('/')).rejects.toMatchObject({ code: 'UNAVAILABLE' });

  const [okSeries] = await clientSeries('metered');
  expect(okSeries).toContain('http_request_method="GET"');
  expect(okSeries).toContain('http_response_status_code="200"');
  expect(okSeries).not.toContain('error_type');
  const [busySeries] = await clientSeries('metered-busy');
  expect(busySeries).toContain('http_response_status_code="503"');
  expect(busySeries).toContain('error_type="503"');
  const [goneSeries] = await clientSeries('metered-gone');
  expect(goneSeries).toContain('error_type="UNAVAILABLE"');
  expect(goneSeries).not.toContain('http_response_status_code');
});

it("counts the default policy's retries and the discovery's ejections under the service called", async () => {
  // One instance that refuses connections and one that answers: the first pick of the dead one is
  // retried on the live one, and outlier detection ejects the dead one.
  await loopback.registerDead('dead-1', 'metered-retry');
  await loopback.serve('live-1', (_request, response) => json(response, 200, { ok: true }), {
    service: 'metered-retry',
  });
  const client = await loopback.client('metered-retry');
  for (let i = 0; i < 6; i++) await client.getJson('/');

  const text = await metrics.scrape();
  const line = (name: string) =>
    text
      .split('\n')
      .find((candidate) => candidate.startsWith(name) && candidate.includes('service_peer_name="metered-retry"'));
  const retries = line('switchyard_client_retries_total');
  expect(retries, 'a retries series for the HTTP client').toBeDefined();
  expect(Number(retries?.slice(retries.lastIndexOf(' ') + 1))).toBeGreaterThanOrEqual(1);
  expect(line('switchyard_discovery_ejections_total'), 'an ejections series for its discovery').toBeDefined();
});

it('keeps the status an attempt received when it fails after it (a body that does not parse), as its span does', async () => {
  // A 200 whose body is no JSON: getJson fails INTERNAL. Before, the sample lost the status the
  // server sent (only error.type="INTERNAL"), while the attempt's span had both, and the HTTP
  // conventions require http.response.status_code whenever one was received.
  await loopback.serve(
    'garbled-1',
    (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{not json'),
    { service: 'metered-garbled' },
  );
  const client = await loopback.client('metered-garbled', { policy: false });
  await expect(client.getJson('/')).rejects.toMatchObject({ code: 'INTERNAL' });
  const series = await clientSeries('metered-garbled');
  expect(series).toHaveLength(1);
  expect(series[0]).toContain('http_response_status_code="200"');
  expect(series[0]).toContain('error_type="INTERNAL"');
});

it('counts the calls its default breaker refuses while open, which no other metric shows', async () => {
  await loopback.serve('broken-1', (_request, response) => json(response, 500, { error: 'broken' }), {
    service: 'metered-open',
  });
  const client = await loopback.client('metered-open');
  // 20 failures (the default breaker's minimumCalls) open it: 500 is not retried.
  for (let i = 0; i < 20; i++) await expect(client.getJson('/')).rejects.toMatchObject({ code: 'INTERNAL' });
  await expect(client.getJson('/')).rejects.toMatchObject({ code: expect.stringMatching(/CIRCUIT_OPEN|RETRY/) });
  const text = await metrics.scrape();
  const value = (name: string, labels: string): number | undefined => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(labels));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  expect(value('switchyard_circuit_breaker_transitions_total', 'state="open"')).toBe(1);
  // Before: the refused calls reached no instance, so no http.client.request.duration sample, and
  // nothing else counted them either: once the breaker opened, the client's failures vanished from
  // its metrics while every caller got CIRCUIT_OPEN.
  expect(
    value('switchyard_circuit_breaker_rejections_total', 'service_peer_name="metered-open"'),
  ).toBeGreaterThanOrEqual(1);
});
