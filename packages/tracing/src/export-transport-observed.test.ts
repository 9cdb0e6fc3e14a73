import { channel } from 'node:diagnostics_channel';
import dns from 'node:dns';
import { createRequire } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';
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

  it('is true while the exporter’s connections or lookups are wrapped (net, tls, dns instrumentations)', () => {
    const targets: [object, string][] = [
      [net.Socket.prototype, 'connect'],
      [tls, 'connect'],
      [dns, 'lookup'],
      [dns.promises, 'lookup'],
    ];
    for (const [owner, name] of targets) {
      const record = owner as Record<string, unknown>;
      const original = record[name] as (...args: unknown[]) => unknown;
      // What shimmer leaves behind: a wrapper marked __wrapped.
      const wrapper = Object.assign((...args: unknown[]) => original(...args), { __wrapped: true });
      record[name] = wrapper;
      try {
        expect(exportTransportObserved(), name).toBe(true);
      } finally {
        record[name] = original;
      }
      expect(exportTransportObserved(), `${name} restored`).toBe(false);
    }
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
