import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { currentMetrics, initMetrics, type Metrics } from '../index.js';
import { switchyardInstruments } from './instruments.js';

const started: Metrics[] = [];
afterEach(async () => {
  for (const running of started.splice(0)) await running.shutdown();
  metrics.disable();
  vi.unstubAllEnvs();
});

async function start(options: Parameters<typeof initMetrics>[0] = {}): Promise<Metrics> {
  const running = await initMetrics({ serviceName: 'metrics-test', port: 0, host: '127.0.0.1', ...options });
  started.push(running);
  return running;
}

describe('initMetrics', () => {
  it('serves what the instruments record, and is the process current Metrics until shut down', async () => {
    const running = await start();
    expect(currentMetrics()).toBe(running);
    switchyardInstruments().clientRetries.add(1, { 'rpc.service': 'x' });
    expect(await running.scrape()).toContain('switchyard_client_retries');
    await running.shutdown();
    expect(currentMetrics()).toBeUndefined();
  });

  it('refuses a second setup instead of serving an empty endpoint, and leaves the first working', async () => {
    const first = await start();
    await expect(start()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'metrics' });
    switchyardInstruments().clientRetries.add(1, { 'rpc.service': 'x' });
    expect(await first.scrape()).toContain('switchyard_client_retries');
  });

  it('registers no provider under OTEL_SDK_DISABLED=true (recording stays a no-op) but still serves /metrics', async () => {
    vi.stubEnv('OTEL_SDK_DISABLED', 'TRUE');
    // Before: the variable was ignored, and a service whose operator turned the SDK off still recorded.
    const off = await start();
    expect(metrics.getMeterProvider()).not.toBeInstanceOf(MeterProvider);
    switchyardInstruments().clientRetries.add(1, { 'rpc.service': 'x' });
    expect(off.port).toBeGreaterThan(0);
    expect(await off.scrape()).not.toContain('switchyard_client_retries');
    expect(currentMetrics()).toBe(off);
    await off.shutdown();
    vi.stubEnv('OTEL_SDK_DISABLED', 'false');
    const on = await start();
    expect(metrics.getMeterProvider()).toBeInstanceOf(MeterProvider);
    switchyardInstruments().clientRetries.add(1, { 'rpc.service': 'x' });
    expect(await on.scrape()).toContain('switchyard_client_retries');
  });

  it('refuses a second setup under OTEL_SDK_DISABLED=true too, rather than orphaning the first endpoint', async () => {
    vi.stubEnv('OTEL_SDK_DISABLED', 'true');
    const first = await start();
    // Before: with no provider registered nothing refused it, so a second endpoint started and
    // replaced the first as currentMetrics(), which then served on with nothing left to stop it.
    const second = await start().catch((error: unknown) => error);
    expect(second).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'metrics' });
    expect(currentMetrics()).toBe(first);
  });

  it('never disables a provider that is not its own when it shuts down', async () => {
    const first = await start();
    await first.shutdown();
    const theirs = new MeterProvider();
    metrics.setGlobalMeterProvider(theirs);
    await first.shutdown(); // idempotent, and theirs stays
    expect(metrics.getMeterProvider()).toBe(theirs);
    await theirs.shutdown();
  });

  it('describes the service as tracing does: OTEL_RESOURCE_ATTRIBUTES in target_info, service.name from it too', async () => {
    vi.stubEnv('OTEL_SERVICE_NAME', '');
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment=prod,service.name=catalog%20api');
    // Before: OTEL_RESOURCE_ATTRIBUTES was ignored, so this threw "serviceName is required".
    const running = await initMetrics({ port: 0, host: '127.0.0.1' });
    started.push(running);
    const targetInfo = (await running.scrape()).split('\n').find((line) => line.startsWith('target_info{'));
    expect(targetInfo).toContain('deployment_environment="prod"');
    expect(targetInfo).toContain('service_name="catalog api"');
    await running.shutdown();

    vi.stubEnv('OTEL_SERVICE_NAME', 'orders');
    const named = await start({ serviceName: undefined, resourceAttributes: { 'service.instance.id': 'i-1' } });
    const namedInfo = (await named.scrape()).split('\n').find((line) => line.startsWith('target_info{'));
    expect(namedInfo).toContain('service_name="orders"');
    expect(namedInfo).toContain('service_instance_id="i-1"');
    expect(namedInfo).toContain('deployment_environment="prod"');
  });

  it('refuses an OTEL_RESOURCE_ATTRIBUTES the SDK would discard whole, as initTracing does', async () => {
    // Before: target_info lost every attribute of the variable (only diag.debug said so), while
    // service.name was still taken from it.
    vi.stubEnv('OTEL_SERVICE_NAME', '');
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'service.name=catalog,deployment.environment=prod,discount=100%');
    await expect(initMetrics({ port: 0, host: '127.0.0.1' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'OTEL_RESOURCE_ATTRIBUTES',
      message: expect.stringContaining('discount=100%'),
    });
    await expect(start()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'OTEL_RESOURCE_ATTRIBUTES' });
    expect(currentMetrics()).toBeUndefined();
  });

  it('refuses service.name in resourceAttributes as initTracing does (it silently overrode serviceName)', async () => {
    await expect(
      initMetrics({ serviceName: 'orders', port: 0, host: '127.0.0.1', resourceAttributes: { 'service.name': 'x' } }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'resourceAttributes.service.name',
      message: expect.stringContaining('set it with serviceName instead'),
    });
    await expect(
      initMetrics({ serviceName: 'orders', port: 0, host: '127.0.0.1', resourceAttributes: { team: 1 as never } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'resourceAttributes.team' });
    // Nothing was left registered by the refused setups; other attributes, service.version too, pass.
    expect(currentMetrics()).toBeUndefined();
    const running = await start({ serviceName: 'orders', resourceAttributes: { 'service.version': '1.2.0' } });
    const targetInfo = (await running.scrape()).split('\n').find((line) => line.startsWith('target_info{'));
    expect(targetInfo).toContain('service_name="orders"');
    expect(targetInfo).toContain('service_version="1.2.0"');
  });

  it('reads an empty SWITCHYARD_METRICS_PORT as unset (not port 0, a random port nobody scrapes)', async () => {
    vi.stubEnv('SWITCHYARD_METRICS_PORT', '');
    const running = await initMetrics({ serviceName: 'metrics-test', host: '127.0.0.1' }).catch(
      (error: unknown) => error,
    );
    if (running instanceof Error) {
      // 9464 may be taken on this machine: then the error names it, which also shows it was chosen.
      expect(running.message).toMatch(/127\.0\.0\.1:9464/);
    } else {
      started.push(running as Metrics);
      expect((running as Metrics).port).toBe(9464);
    }
  });

  it('names the setting that holds a port or address it cannot listen on: the variable when it came from one', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const port = (taken.address() as { port: number }).port;
      vi.stubEnv('SWITCHYARD_METRICS_PORT', String(port));
      // It was reported as the `port` option, which the caller never gave.
      await expect(initMetrics({ serviceName: 'metrics-test', host: '127.0.0.1' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'SWITCHYARD_METRICS_PORT',
      });
      await expect(initMetrics({ serviceName: 'metrics-test', host: '127.0.0.1', port })).rejects.toMatchObject({
        field: 'port',
      });
      // An address this machine does not have (TEST-NET-1) is the host's fault, not the port's.
      await expect(initMetrics({ serviceName: 'metrics-test', host: '192.0.2.1', port: 0 })).rejects.toMatchObject({
        field: 'host',
      });
      expect(currentMetrics()).toBeUndefined();
    } finally {
      taken.close();
    }
  });

  it('names the host, not the port, for an address the system refuses as invalid (EINVAL: fe80::1 with no interface)', async () => {
    // Linux refuses to bind a link-local address with no scope id (fe80::1%eth0) with EINVAL: it
    // was reported as the port's fault, a setting that was fine.
    const refused = await initMetrics({ serviceName: 'metrics-test', host: 'fe80::1', port: 0 }).catch(
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'host' });
    expect((refused as Error).message).toContain('cannot serve metrics on fe80::1:0: listen EINVAL: invalid argument');
    expect((refused as Error).cause).toMatchObject({ code: 'EINVAL', syscall: 'listen' });
    vi.stubEnv('SWITCHYARD_LISTEN_HOST', 'fe80::1');
    await expect(initMetrics({ serviceName: 'metrics-test', port: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'SWITCHYARD_LISTEN_HOST',
    });
    expect(currentMetrics()).toBeUndefined();
  });

  it('refuses a bad host naming it (it failed at listen() as `port`), and reads a blank SWITCHYARD_LISTEN_HOST as unset', async () => {
    await expect(initMetrics({ serviceName: 'metrics-test', port: 0, host: 'not a host' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'host',
    });
    vi.stubEnv('SWITCHYARD_LISTEN_HOST', 'http://0.0.0.0');
    await expect(initMetrics({ serviceName: 'metrics-test', port: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'SWITCHYARD_LISTEN_HOST',
    });
    // Nothing was left registered by the refused setups.
    expect(currentMetrics()).toBeUndefined();
    vi.stubEnv('SWITCHYARD_LISTEN_HOST', '  ');
    const running = await initMetrics({ serviceName: 'metrics-test', port: 0 });
    started.push(running);
    expect(running.port).toBeGreaterThan(0);
  });
  it('stops promptly although a client holds a connection with an unfinished request', async () => {
    const running = await start();
    // A scraper that stalled or vanished mid-request (here: headers never finished).
    const socket = connect(running.port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write('GET /metrics HTTP/1.1\r\nHost: metrics\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      // Before: server.close() waited for that connection, so shutdown() (and a service's stop)
      // hung until Node's headersTimeout, 60 s, past a pod's termination grace period.
      const outcome = await Promise.race([
        running.shutdown().then(() => 'stopped'),
        new Promise((resolve) => setTimeout(resolve, 4_000, 'still waiting')),
      ]);
      expect(outcome).toBe('stopped');
      expect(currentMetrics()).toBeUndefined();
    } finally {
      socket.destroy();
    }
  });

  it('serves /metrics to a request in absolute form (as a forwarding proxy sends it), and 404 elsewhere', async () => {
    const running = await start();
    switchyardInstruments().clientRetries.add(1, { 'rpc.service': 'x' });
    /** The raw response to one request written as is on a fresh connection. */
    const exchange = async (head: string): Promise<string> => {
      const socket = connect(running.port, '127.0.0.1');
      socket.on('error', () => {});
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk;
      });
      await once(socket, 'connect');
      socket.end(`${head}\r\nHost: metrics\r\nConnection: close\r\n\r\n`);
      await once(socket, 'close');
      return received;
    };
    // HTTP/1.1 servers must accept the absolute form (RFC 9112, 3.2.2), and the exporter's own
    // server did: ours compared the raw target with '/metrics', so it answered 404 and the scrape
    // through a proxy that forwards the target as it got it found no metrics.
    const absolute = await exchange(`GET http://metrics:${running.port}/metrics HTTP/1.1`);
    expect(absolute).toMatch(/^HTTP\/1\.1 200 /);
    expect(absolute).toContain('switchyard_client_retries_total');
    expect(await exchange('GET /metrics?format=prometheus HTTP/1.1')).toMatch(/^HTTP\/1\.1 200 /);
    expect(await exchange(`GET http://metrics:${running.port}/other HTTP/1.1`)).toMatch(/^HTTP\/1\.1 404 /);
    expect(await exchange('GET /metricsx HTTP/1.1')).toMatch(/^HTTP\/1\.1 404 /);
  });

  it('serves one family per metric name when another instrumentation scope records the same instrument', async () => {
    const running = await start();
    switchyardInstruments().recordHttpServerRequest(0.01, { method: 'GET', status: 200, scheme: 'http' });
    // What @opentelemetry/instrumentation-http records beside Switchyard's HTTP server wrappers:
    // the same convention's instrument, under its own scope.
    const instrumentation = metrics.getMeter('@opentelemetry/instrumentation-http', '0.223.0');
    instrumentation
      .createHistogram('http.server.request.duration', { unit: 's', description: 'Duration of HTTP server requests.' })
      .record(0.02, { 'http.request.method': 'GET' });
    // A name taken by an instrument of another type: a gauge where Switchyard has a counter.
    switchyardInstruments().clientRetries.add(1, { 'rpc.service': 'x' });
    metrics.getMeter('someone-else').createUpDownCounter('switchyard_client_retries_total').add(7);
    const text = await running.scrape();
    // Before: one HELP/UNIT/TYPE block per scope, so `http_server_request_duration` had two HELP and
    // two TYPE lines. The text format allows one of each per name, and parsers built on Prometheus'
    // expfmt (promtool check metrics, Telegraf) reject the whole scrape: "second HELP line for
    // metric name". And the gauge's samples came under a second TYPE line that called them a gauge.
    const families = new Map<string, string[]>();
    let current: string[] | undefined;
    for (const line of text.split('\n').filter((candidate) => candidate !== '')) {
      const comment = /^# (HELP|UNIT|TYPE) (\S+)/.exec(line);
      if (comment !== null) {
        const [, kind, name] = comment as unknown as [string, string, string];
        if (kind === 'HELP') {
          expect(families.has(name), `a second family named ${name}`).toBe(false);
          current = [];
          families.set(name, current);
        }
        current?.push(kind);
      } else {
        current?.push(line);
      }
    }
    const serverFamily = families.get('http_server_request_duration') ?? [];
    expect(serverFamily.filter((line) => line === 'TYPE')).toHaveLength(1);
    expect(serverFamily.filter((line) => line.startsWith('http_server_request_duration_count{'))).toHaveLength(2);
    expect(serverFamily.join('\n')).toContain('otel_scope_name="@opentelemetry/instrumentation-http"');
    expect(serverFamily.join('\n')).toContain('otel_scope_name="@switchyard"');
    // The first type stands; the samples that contradict it are left out, not served as a counter.
    const retries = families.get('switchyard_client_retries_total') ?? [];
    expect(retries.filter((line) => line === 'TYPE')).toHaveLength(1);
    expect(text).toContain('# TYPE switchyard_client_retries_total counter');
    expect(retries.filter((line) => line.startsWith('switchyard_client_retries_total'))).toEqual([
      'switchyard_client_retries_total{rpc_service="x",otel_scope_name="@switchyard"} 1',
    ]);
  });

  it('refuses to scrape once shut down, rather than reading whatever listens on its port next', async () => {
    const running = await start();
    await running.shutdown();
    // Another server takes the port the endpoint gave back (the next test's, another process').
    const next = createHttpServer((_request, response) => response.end('someone else'));
    await new Promise<void>((resolve) => next.listen(running.port, '127.0.0.1', resolve));
    try {
      // Before: scrape() fetched the port regardless, and returned `someone else` as the metrics.
      await expect(running.scrape()).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringContaining('shut down'),
      });
    } finally {
      next.close();
    }
  });

  it('refuses a serviceName that is not a non-empty string, and shows the SWITCHYARD_METRICS_PORT it cannot use', async () => {
    // Before: 42 and '  ' were taken as the service name (initTracing refuses both), and a bad
    // variable was reported as `got NaN`, hiding the value the operator had to find and fix.
    for (const serviceName of [42, '  ']) {
      await expect(
        initMetrics({ serviceName: serviceName as string, port: 0, host: '127.0.0.1' }),
      ).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'serviceName',
      });
    }
    vi.stubEnv('SWITCHYARD_METRICS_PORT', '94x64');
    await expect(initMetrics({ serviceName: 'metrics-test', host: '127.0.0.1' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'SWITCHYARD_METRICS_PORT',
      message: expect.stringContaining('"94x64"'),
    });
    expect(currentMetrics()).toBeUndefined();
  });

  it('buckets HTTP durations, recorded in seconds, on the HTTP conventions’ boundaries (not the millisecond defaults)', async () => {
    const running = await start();
    const instruments = switchyardInstruments();
    // 3 ms, 20 ms and 300 ms: with the SDK's default boundaries (0, 5, 10, … 10000, meant for
    // milliseconds) all three fell in the first bucket, le="5", and every quantile read ~5 s.
    for (const seconds of [0.003, 0.02, 0.3]) {
      instruments.httpClientDuration.record(seconds, { 'http.request.method': 'GET' });
      instruments.httpServerDuration.record(seconds, { 'http.request.method': 'GET' });
    }
    const text = await running.scrape();
    for (const name of ['http_client_request_duration', 'http_server_request_duration']) {
      const bucket = (le: string) =>
        Number(new RegExp(`^${name}\\w*_bucket\\{[^}]*le="${le}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1]);
      expect([bucket('0.005'), bucket('0.025'), bucket('0.5'), bucket('10')], name).toEqual([1, 2, 3, 3]);
    }
  });
});
