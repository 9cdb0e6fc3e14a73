import { createNoopMeter, type Meter, type MeterProvider, metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { collectableMeterProvider } from '../test-support/collectable-meter-provider.js';
import { metricsActive, switchyardInstruments } from './instruments.js';

afterEach(() => {
  metrics.disable();
});

describe('metricsActive', () => {
  it('is false for the API no-op provider however a bundler renamed its class, and true for a real one', async () => {
    expect(metricsActive()).toBe(false);
    // What a minified bundle (esbuild --minify, terser) makes of NoopMeterProvider: the same
    // provider, its class renamed. Before, the check read the class name, took it for a real
    // provider, and every RPC built its metric attributes and recorded them into the no-op.
    class m implements MeterProvider {
      getMeter(): Meter {
        return createNoopMeter();
      }
    }
    metrics.setGlobalMeterProvider(new m());
    expect(metricsActive()).toBe(false);
    metrics.disable();
    const { provider } = collectableMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    expect(metricsActive()).toBe(true);
    metrics.disable();
    expect(metricsActive()).toBe(false);
    await provider.shutdown();
  });
});

describe('recordHttpClientAttempt', () => {
  it('records http.client.request.duration with the service called, a bounded method and error.type', async () => {
    const { provider, read } = collectableMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const instruments = switchyardInstruments();
    // Before, the one recorder was the raw histogram, and the HTTP client gave it the method as
    // passed and, for a failure without a response, error.type "connection" whatever failed: no
    // attribute told catalog's latency from search's, a 503 carried no error.type (error-rate
    // queries on it missed every failed response), a deadline read as a connection failure, and a
    // method such as `purge-42` made a series of its own.
    instruments.recordHttpClientAttempt(0.02, { service: 'catalog', method: 'GET', status: 200 });
    instruments.recordHttpClientAttempt(0.03, { service: 'catalog', method: 'get', status: 503 });
    instruments.recordHttpClientAttempt(0.5, { service: 'search', method: 'purge-42', errorType: 'DEADLINE_EXCEEDED' });
    instruments.recordHttpClientAttempt(0.1, { service: 'search', method: 'POST' });
    const points = Object.keys((await read())['http.client.request.duration'] ?? {}).map((key) => JSON.parse(key));
    expect(points).toEqual(
      expect.arrayContaining([
        { 'http.request.method': 'GET', 'service.peer.name': 'catalog', 'http.response.status_code': 200 },
        {
          'http.request.method': 'GET',
          'service.peer.name': 'catalog',
          'http.response.status_code': 503,
          'error.type': '503',
        },
        { 'http.request.method': '_OTHER', 'service.peer.name': 'search', 'error.type': 'DEADLINE_EXCEEDED' },
        { 'http.request.method': 'POST', 'service.peer.name': 'search', 'error.type': '_OTHER' },
      ]),
    );
    expect(points).toHaveLength(4);
    await provider.shutdown();
  });
});

describe('recordHttpClientAttempt after a response', () => {
  it('keeps the status received and names a failure after it in error.type, as the span does', async () => {
    const { provider, read } = collectableMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    // A 200 whose body did not parse: the attempt failed (INTERNAL) after a status arrived. Before,
    // the error type was dropped once there was a status below 400 (the failure vanished from
    // error-rate queries), so the HTTP client recorded no status at all for it instead.
    switchyardInstruments().recordHttpClientAttempt(0.02, {
      service: 'catalog',
      method: 'GET',
      status: 200,
      errorType: 'INTERNAL',
    });
    // An error status stays its own error.type, whatever failed after it.
    switchyardInstruments().recordHttpClientAttempt(0.02, {
      service: 'catalog',
      method: 'GET',
      status: 503,
      errorType: 'UNAVAILABLE',
    });
    const points = Object.keys((await read())['http.client.request.duration'] ?? {}).map((key) => JSON.parse(key));
    expect(points).toEqual([
      {
        'http.request.method': 'GET',
        'service.peer.name': 'catalog',
        'http.response.status_code': 200,
        'error.type': 'INTERNAL',
      },
      {
        'http.request.method': 'GET',
        'service.peer.name': 'catalog',
        'http.response.status_code': 503,
        'error.type': '503',
      },
    ]);
    await provider.shutdown();
  });
});
