import type { Discovery } from '@switchyard/discovery';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_CLIENT_OPTIONS, resolveClientOptions } from './http-client-options.js';

const discovery = {
  service: 'catalog',
  pick: () => undefined,
  onChange: () => ({ dispose() {} }),
} as unknown as Discovery;

describe('resolveClientOptions', () => {
  it('keeps the default of an option given as undefined (e.g. from configuration that sets nothing)', () => {
    // `createHttpClient({ discovery, defaultDeadlineMs: config.timeoutMs })` with nothing configured
    // threw "options.defaultDeadlineMs must be an integer …, got undefined".
    const resolved = resolveClientOptions({
      discovery,
      policy: undefined,
      tracing: undefined,
      port: undefined,
      scheme: undefined,
      poolOptions: undefined,
      defaultDeadlineMs: undefined,
      deadlineHeader: undefined,
      throwOnStatus: undefined,
      retryableStatuses: undefined,
      maxErrorBodyBytes: undefined,
      closePoolsAfterMs: undefined,
      closeGraceMs: undefined,
    });
    expect(resolved).toMatchObject({ ...DEFAULT_HTTP_CLIENT_OPTIONS, discovery, policy: undefined });
    expect(resolved.poolOptions).toBeUndefined();
  });
});

describe('poolOptions.maxRedirections', () => {
  it('is refused: undici would send a redirect to another origin to the same instance', () => {
    // With it, a `302 Location: http://payments.internal/charge` from an instance was followed by
    // asking that same instance for `/charge` (undici's Pool ignores the redirect's origin), and a
    // redirect never reached the caller as the HttpCallError the README promises.
    expect(() => resolveClientOptions({ discovery, poolOptions: { maxRedirections: 2 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.poolOptions.maxRedirections' }),
    );
    expect(resolveClientOptions({ discovery, poolOptions: { maxRedirections: 0 } }).poolOptions).toEqual({
      maxRedirections: 0,
    });
  });
});
