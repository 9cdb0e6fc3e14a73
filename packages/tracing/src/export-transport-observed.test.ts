import { channel } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { afterEach, describe, expect, it } from 'vitest';
import { exportTransportObserved } from './export-transport-observed.js';

let instrumentation: HttpInstrumentation | undefined;
afterEach(() => {
  instrumentation?.disable();
  instrumentation = undefined;
});

describe('exportTransportObserved', () => {
  it('is false in a process where nothing instruments outgoing HTTP', () => {
    expect(exportTransportObserved()).toBe(false);
  });

  it('is true while @opentelemetry/instrumentation-http wraps node:http, and false again once it stops', () => {
    instrumentation = new HttpInstrumentation();
    instrumentation.enable();
    // It patches `http` when `http` is next required (as when it loads before the application).
    createRequire(import.meta.url)('node:http');
    expect(exportTransportObserved()).toBe(true);
    instrumentation.disable();
    expect(exportTransportObserved()).toBe(false);
  });

  it('is true while anything subscribes to Node’s HTTP client diagnostics channel', () => {
    const onStart = () => {};
    channel('http.client.request.start').subscribe(onStart);
    try {
      expect(exportTransportObserved()).toBe(true);
    } finally {
      channel('http.client.request.start').unsubscribe(onStart);
    }
    expect(exportTransportObserved()).toBe(false);
  });
});
