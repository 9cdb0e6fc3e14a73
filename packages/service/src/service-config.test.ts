import { describe, expect, it } from 'vitest';
import { resolveServiceConfig } from './service-config.js';

const env = { SWITCHYARD_REGISTRY_URL: 'memory://' };

describe('resolveServiceConfig', () => {
  it('reads a blank duration variable as unset, not as 0 (no drain, no grace for calls in flight)', () => {
    const config = resolveServiceConfig(
      { name: 'catalog' },
      { ...env, SWITCHYARD_DRAIN_DELAY_MS: ' ', SWITCHYARD_SHUTDOWN_GRACE_MS: '\t', SWITCHYARD_TTL_MS: ' ' },
    );
    expect(config).toMatchObject({ drainDelayMs: 5_000, shutdownGraceMs: 10_000, ttlMs: undefined });
    expect(
      resolveServiceConfig({ name: 'catalog' }, { ...env, SWITCHYARD_DRAIN_DELAY_MS: ' 250\n' }).drainDelayMs,
    ).toBe(250);
  });

  it('reads a blank SWITCHYARD_REGISTRY_URL as unset, and trims one around a URL', () => {
    // Blank used to pass as a registry URL and fail later as `url`, not as the missing setting.
    expect(() => resolveServiceConfig({ name: 'catalog' }, { SWITCHYARD_REGISTRY_URL: '  ' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'registry' }),
    );
    expect(
      resolveServiceConfig({ name: 'catalog' }, { SWITCHYARD_REGISTRY_URL: ' redis://redis:6379\n' }).registry,
    ).toBe('redis://redis:6379');
  });

  it('reads the registry credential variables like the others: trimmed, blank is unset', () => {
    const url = { SWITCHYARD_REGISTRY_URL: 'redis://redis:6379' };
    // A blank username was refused as "is set but SWITCHYARD_REGISTRY_PASSWORD is not".
    expect(resolveServiceConfig({ name: 'catalog' }, { ...url, SWITCHYARD_REGISTRY_USERNAME: ' ' }).registry).toBe(
      'redis://redis:6379',
    );
    // Padding from an env file was sent as part of the user and password (WRONGPASS after the servers started).
    const padded = { ...url, SWITCHYARD_REGISTRY_USERNAME: ' svc ', SWITCHYARD_REGISTRY_PASSWORD: 'pw\n' };
    expect(resolveServiceConfig({ name: 'catalog' }, padded).registry).toBe('redis://svc:pw@redis:6379');
  });

  it.each([
    ['SWITCHYARD_VERSION', { SWITCHYARD_VERSION: '1.0 beta' }, {}],
    ['version', {}, { version: '1.0 beta' }],
    ['SWITCHYARD_ADVERTISE_HOST', { SWITCHYARD_ADVERTISE_HOST: 'http://10.0.0.7:50051' }, {}],
    ['POD_IP', { POD_IP: '$(POD_IP)' }, {}], // what Kubernetes leaves for an undefined variable
    ['advertiseHost', {}, { advertiseHost: '10.0.0.7:50051' }],
  ])(
    'rejects a bad %s at once, naming that setting (not instance.* after the servers started)',
    (field, vars, options) => {
      expect(() => resolveServiceConfig({ name: 'catalog', ...options }, { ...env, ...vars })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
      );
    },
  );

  it.each([
    ['http.prot', { http: { prot: 8080 } }],
    ['http.hostname', { http: { hostname: '127.0.0.1' } }], // silently listened on every interface
    ['grpc.service', { grpc: { service: [], port: 0 } }],
  ])('rejects the misspelt server option %s instead of ignoring it', (field, options) => {
    expect(() => resolveServiceConfig({ name: 'catalog', ...(options as object) }, env)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
    );
  });

  it('rejects an HTTP handler that is not a function at start, not at the first request', () => {
    expect(() => resolveServiceConfig({ name: 'catalog', http: { handler: 'index.js' as never } }, env)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'http.handler' }),
    );
  });

  it('rejects an onStop that is not a function at start, not as a warning at stop', () => {
    expect(() => resolveServiceConfig({ name: 'catalog', onStop: 'close db' as never }, env)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'onStop' }),
    );
  });

  it.each([
    ['SWITCHYARD_LISTEN_HOST', { SWITCHYARD_LISTEN_HOST: 'not a host' }, {}],
    ['SWITCHYARD_LISTEN_HOST', { SWITCHYARD_LISTEN_HOST: 'http://0.0.0.0:8080' }, {}],
    ['http.host', {}, { http: { host: '127.0.0.1:8080' } }],
    ['grpc.host', {}, { grpc: { services: [], host: 'localhost/grpc' } }],
  ])(
    'rejects a bad listen host in %s at once, naming it (it failed at listen() as http.port)',
    (field, vars, options) => {
      expect(() => resolveServiceConfig({ name: 'catalog', ...(options as object) }, { ...env, ...vars })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
      );
    },
  );

  it('reads a valid SWITCHYARD_LISTEN_HOST, and 0.0.0.0 without it', () => {
    expect(resolveServiceConfig({ name: 'catalog' }, env).listenHost).toBe('0.0.0.0');
    for (const host of ['127.0.0.1', '::', 'localhost']) {
      expect(resolveServiceConfig({ name: 'catalog' }, { ...env, SWITCHYARD_LISTEN_HOST: host }).listenHost).toBe(host);
    }
  });

  it.each([0, null, true, 'off', 'false'])(
    'rejects a tracing option that is not false or TracingOptions (%s), instead of tracing as if it were left out',
    (tracing) => {
      expect(() => resolveServiceConfig({ name: 'catalog', tracing: tracing as never }, env)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'tracing' }),
      );
      expect(resolveServiceConfig({ name: 'catalog', tracing: false }, env)).toBeDefined();
      expect(resolveServiceConfig({ name: 'catalog', tracing: { exporter: 'none' } }, env)).toBeDefined();
    },
  );

  it.each([
    ['metrics', 9100], // a port given as the option: served on the default 9464 instead
    ['metrics', true],
    ['metrics.prot', { prot: 9100 }],
    ['metrics.port', { port: 70_000 }],
    ['metrics.port', { port: '9100' }],
  ])(
    'rejects a metrics option that is not false or { port } (%s), instead of serving on the default port',
    (field, metrics) => {
      expect(() => resolveServiceConfig({ name: 'catalog', metrics: metrics as never }, env)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
      );
      expect(resolveServiceConfig({ name: 'catalog', metrics: { port: 0 } }, env)).toBeDefined();
      expect(resolveServiceConfig({ name: 'catalog', metrics: false }, env)).toBeDefined();
    },
  );

  it.each(['metrics', '9464/tcp', '70000', '-1'])(
    'refuses SWITCHYARD_METRICS_PORT=%s here, as a deployment check runs it (it passed, and the start failed)',
    (port) => {
      expect(() => resolveServiceConfig({ name: 'catalog' }, { ...env, SWITCHYARD_METRICS_PORT: port })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'SWITCHYARD_METRICS_PORT' }),
      );
      // Not read when the options say where metrics go, or that there are none.
      for (const metrics of [false, { port: 9100 }] as const) {
        expect(
          resolveServiceConfig({ name: 'catalog', metrics }, { ...env, SWITCHYARD_METRICS_PORT: port }),
        ).toBeDefined();
      }
    },
  );

  it('listens on :: (IPv4 and IPv6) by default when the advertised host is IPv6, where it listened on IPv4 only', () => {
    for (const advertised of [{ POD_IP: 'fd00::7' }, { SWITCHYARD_ADVERTISE_HOST: '[fd00::7]' }]) {
      expect(resolveServiceConfig({ name: 'catalog' }, { ...env, ...advertised }).listenHost).toBe('::');
      // An explicit listen host still wins, and an IPv4 (or no) advertised host keeps 0.0.0.0.
      expect(
        resolveServiceConfig({ name: 'catalog' }, { ...env, ...advertised, SWITCHYARD_LISTEN_HOST: '0.0.0.0' })
          .listenHost,
      ).toBe('0.0.0.0');
    }
    expect(resolveServiceConfig({ name: 'catalog' }, { ...env, POD_IP: '10.0.0.7' }).listenHost).toBe('0.0.0.0');
    expect(resolveServiceConfig({ name: 'catalog' }, env).listenHost).toBe('0.0.0.0');
  });

  it('accepts IP literals and host names as the advertised host', () => {
    for (const host of ['10.0.0.7', 'fd00::7', 'catalog-0.catalog.shop.svc.cluster.local']) {
      expect(resolveServiceConfig({ name: 'catalog' }, { ...env, POD_IP: host }).advertiseHost).toBe(host);
    }
  });

  it('refuses a malformed registry URL here, naming registry or SWITCHYARD_REGISTRY_URL (start failed later, naming `url`)', () => {
    const cases: [Parameters<typeof resolveServiceConfig>[0], Record<string, string>, string][] = [
      [{ name: 'catalog' }, { SWITCHYARD_REGISTRY_URL: 'redis//redis:6379' }, 'SWITCHYARD_REGISTRY_URL'],
      [{ name: 'catalog' }, { SWITCHYARD_REGISTRY_URL: 'redis://redis:99999' }, 'SWITCHYARD_REGISTRY_URL'],
      [{ name: 'catalog' }, { SWITCHYARD_REGISTRY_URL: 'redis-sentinel://s1:26379' }, 'SWITCHYARD_REGISTRY_URL'],
      [{ name: 'catalog', registry: 'http://redis:6379' }, {}, 'registry'],
      [{ name: 'catalog', registry: 'redis://redis:6379/cache' }, { SWITCHYARD_REGISTRY_URL: 'memory://' }, 'registry'],
    ];
    for (const [options, variables, field] of cases) {
      expect(() => resolveServiceConfig(options, variables)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
      );
    }
    // The password never shows in the message.
    expect(() =>
      resolveServiceConfig({ name: 'catalog' }, { SWITCHYARD_REGISTRY_URL: 'redis://:s3cret%zz@redis:6379' }),
    ).toThrow(expect.objectContaining({ message: expect.not.stringContaining('s3cret') }));
    for (const url of ['memory://', 'memory://demo', 'redis://redis:6379/0', 'redis-cluster://a:7000,b:7001']) {
      expect(resolveServiceConfig({ name: 'catalog' }, { SWITCHYARD_REGISTRY_URL: url }).registry).toBe(url);
    }
  });

  it('names registry or SWITCHYARD_REGISTRY_URL for a malformed URL when SWITCHYARD_REGISTRY_PASSWORD is set too (it said `url`)', () => {
    // The deployments keep the password in a Secret, so it is set whenever the URL is: adding it
    // parsed the URL first, and a malformed one was refused as `url`, which names no setting.
    const password = { SWITCHYARD_REGISTRY_PASSWORD: 's3cret' };
    const cases: [Parameters<typeof resolveServiceConfig>[0], Record<string, string>, string][] = [
      [{ name: 'catalog' }, { ...password, SWITCHYARD_REGISTRY_URL: 'redis://redis:99999' }, 'SWITCHYARD_REGISTRY_URL'],
      [
        { name: 'catalog' },
        { ...password, SWITCHYARD_REGISTRY_URL: 'redis://redis:6379/cache' },
        'SWITCHYARD_REGISTRY_URL',
      ],
      [
        { name: 'catalog' },
        { ...password, SWITCHYARD_REGISTRY_URL: 'redis-sentinel://s1:26379' },
        'SWITCHYARD_REGISTRY_URL',
      ],
      [{ name: 'catalog', registry: 'redis-cluster://a:7000/1' }, password, 'registry'],
    ];
    for (const [options, variables, field] of cases) {
      expect(() => resolveServiceConfig(options, variables)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field, message: expect.not.stringContaining('s3cret') }),
      );
    }
    expect(
      resolveServiceConfig({ name: 'catalog' }, { ...password, SWITCHYARD_REGISTRY_URL: 'redis://redis:6379/0' })
        .registry,
    ).toBe('redis://:s3cret@redis:6379/0');
  });
});

describe('resolveServiceConfig: settings a deployment check used to pass', () => {
  it.each([
    ['advertiseHost', { advertiseHost: '0.0.0.0' }, {}],
    ['SWITCHYARD_ADVERTISE_HOST', {}, { SWITCHYARD_ADVERTISE_HOST: '::' }],
    ['POD_IP', {}, { POD_IP: '0:0:0:0:0:0:0:0' }],
    // Bracketed, as a URL writes it (the host check accepts the form): it passed as dialable.
    ['SWITCHYARD_ADVERTISE_HOST', {}, { SWITCHYARD_ADVERTISE_HOST: '[::]' }],
    ['advertiseHost', { advertiseHost: '[0:0::0]' }, {}],
  ])(
    'refuses an unspecified address as the advertised host, naming %s (it was registered, and no one can dial it)',
    (field, options, variables) => {
      expect(() => resolveServiceConfig({ name: 'catalog', ...options }, { ...env, ...variables })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
      );
    },
  );

  it.each([
    ['http.port', { http: { port: 70_000 } }],
    ['grpc.port', { grpc: { services: [], port: -1 } }],
    ['http.port', { http: { port: '8080' } }],
  ])('refuses a bad %s here, as startService does (a deployment check passed it)', (field, options) => {
    expect(() => resolveServiceConfig({ name: 'catalog', ...(options as object) }, env)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
    );
  });
});
