import { CircuitOpenError, InvalidArgumentError, NoInstancesError, SwitchyardError } from '@switchyard/core';
import { codeToHttpStatus, HttpCallError, httpStatusToCode, parseRetryAfterMs } from '@switchyard/http';
import { describe, expect, it } from 'vitest';

describe('HTTP status → Switchyard code', () => {
  it.each([
    [400, 'INVALID_ARGUMENT'],
    [401, 'UNAUTHENTICATED'],
    [403, 'PERMISSION_DENIED'],
    [404, 'NOT_FOUND'],
    [409, 'ALREADY_EXISTS'],
    [412, 'FAILED_PRECONDITION'],
    [418, 'FAILED_PRECONDITION'],
    [429, 'RESOURCE_EXHAUSTED'],
    [499, 'CANCELLED'],
    [500, 'INTERNAL'],
    [501, 'UNIMPLEMENTED'],
    [502, 'UNAVAILABLE'],
    [503, 'UNAVAILABLE'],
    [504, 'DEADLINE_EXCEEDED'],
    [599, 'INTERNAL'],
    [302, 'FAILED_PRECONDITION'],
    [308, 'FAILED_PRECONDITION'],
    [200, 'UNKNOWN'],
    [600, 'UNKNOWN'],
  ])('%i → %s', (status, code) => {
    expect(httpStatusToCode(status)).toBe(code);
  });
});

describe('thrown error → HTTP status (server replies)', () => {
  it.each([
    [new InvalidArgumentError('id', 'must be a SKU'), 400],
    [new SwitchyardError('NOT_FOUND', 'no such product'), 404],
    [new SwitchyardError('ALREADY_EXISTS', 'exists'), 409],
    [new SwitchyardError('ABORTED', 'conflict'), 409],
    [new SwitchyardError('DEADLINE_EXCEEDED', 'late'), 504],
    [new NoInstancesError('catalog', 'none'), 503],
    [new CircuitOpenError('open'), 503],
    [new Error('secret internals'), 500],
    ['a string', 500],
  ])('%s → %i', (error, status) => {
    expect(codeToHttpStatus(error)).toBe(status);
  });

  it('round-trips the codes a service replies with', () => {
    for (const status of [400, 401, 403, 404, 409, 429, 499, 500, 501, 503, 504]) {
      expect(codeToHttpStatus(new SwitchyardError(httpStatusToCode(status), 'x'))).toBe(status);
    }
  });
});

describe('HttpCallError', () => {
  it('keeps status, headers, body and the Retry-After pushback', () => {
    const error = new HttpCallError({
      status: 503,
      headers: { 'retry-after': '2', 'content-type': 'application/json' },
      body: '{"error":"busy"}',
      request: 'catalog GET /products',
      retryable: true,
    });
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBe(2_000);
    expect(error.json()).toEqual({ error: 'busy' });
    expect(error.message).toBe('catalog GET /products: HTTP 503 UNAVAILABLE: {"error":"busy"}');
    expect(SwitchyardError.isInstance(error)).toBe(true);
  });

  it('puts only the start of a long body in the message', () => {
    const error = new HttpCallError({ status: 500, headers: {}, body: 'x'.repeat(10_000), bodyTruncated: true });
    expect(error.message.length).toBeLessThan(300);
    expect(error.body).toHaveLength(10_000);
    expect(error.json()).toBeUndefined();
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfterMs('1', now)).toBe(1_000);
    expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
    expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:03 GMT', now)).toBe(3_000);
    expect(parseRetryAfterMs('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs(['5', '7'], now)).toBe(5_000);
  });

  it('reads every HTTP-date form as GMT, whatever the local time zone', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:03 GMT', now)).toBe(3_000);
      expect(parseRetryAfterMs('Wednesday, 01-Jan-25 00:00:03 GMT', now)).toBe(3_000);
      // asctime carries no zone: it is GMT too (it used to be read as local time, 5 hours off here).
      expect(parseRetryAfterMs('Wed Jan  1 00:00:03 2025', now)).toBe(3_000);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('ignores missing and malformed values', () => {
    for (const value of [undefined, '', '-1', '1.5', 'soon', 'Wed, 99 Foo']) {
      expect(parseRetryAfterMs(value, now)).toBeUndefined();
    }
  });

  it('ignores text that is neither delay-seconds nor an HTTP date, even when V8 can make a date of it', () => {
    // Before the fix: 0, 0 (retry at once, no backoff) and 86400000 (the call failed at once, DEADLINE_EXCEEDED).
    expect(parseRetryAfterMs('after 10', now)).toBeUndefined();
    expect(parseRetryAfterMs('Retry: 5', now)).toBeUndefined();
    expect(parseRetryAfterMs('Mon 2030', now)).toBeUndefined();
  });

  it('reads only the three HTTP-date forms, whole, and only dates that exist', () => {
    // Before the fix: all but the last two were dates to Date.parse (ISO, a zone offset, no day name, 31 Feb as 3 Mar).
    for (const value of [
      '2025-01-01T00:00:03Z',
      'Wed, 01 Jan 2025 00:00:03 +0000',
      '01 Jan 2025 00:00:03 GMT',
      'Wed, 01 Jan 2025 00:00:03 GMT trailing',
      'Fri, 31 Feb 2025 00:00:00 GMT',
      'Wed, 01 Jan 2025 24:00:03 GMT',
    ]) {
      expect({ value, ms: parseRetryAfterMs(value, now) }).toEqual({ value, ms: undefined });
    }
    // RFC 850's two-digit year: the century that puts it at most 50 years ahead (94 is 1994, long past).
    expect(parseRetryAfterMs('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('Wed Jan  1 00:00:03 2025', now)).toBe(3_000);
  });

  it('reads a pushback over a day as one day, so the retry policy gives up instead of retrying at once', () => {
    for (const value of ['90000', '12345678901', 'Fri, 03 Jan 2025 00:00:00 GMT']) {
      expect(parseRetryAfterMs(value, now)).toBe(86_400_000);
    }
  });
});
