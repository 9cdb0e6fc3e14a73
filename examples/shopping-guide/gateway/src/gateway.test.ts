import { describe, expect, it } from 'vitest';
import { httpPort } from './gateway.js';

describe('httpPort', () => {
  it('defaults to 8080 when HTTP_PORT is unset or empty (an unset compose interpolation)', () => {
    expect(httpPort(undefined)).toBe(8080);
    expect(httpPort('')).toBe(8080);
  });

  it('takes decimal digits, 0 included (any free port)', () => {
    expect(httpPort('9090')).toBe(9090);
    expect(httpPort('0')).toBe(0);
  });

  // ' ' used to become port 0 (Number(' ') is 0): a random port nobody would find.
  it.each([' ', 'abc', '-1', '65536', '0x10', '1e3', '80.5'])('refuses HTTP_PORT=%j naming it', (value) => {
    expect(() => httpPort(value)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'HTTP_PORT' }));
  });
});
