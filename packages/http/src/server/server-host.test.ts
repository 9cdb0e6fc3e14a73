import { describe, expect, it } from 'vitest';
import { serverHost } from './server-host.js';

const of = (host: string | undefined, tls = false, authority?: string) => {
  const { address, port } = serverHost({ host, ...(authority === undefined ? {} : { ':authority': authority }) }, tls);
  return [address, port];
};

describe('serverHost', () => {
  it.each([
    ['catalog:8080', false, ['catalog', 8080]],
    ['catalog', false, ['catalog', 80]],
    ['catalog', true, ['catalog', 443]],
    ['catalog:', false, ['catalog', 80]],
    ['10.0.0.7:9000', false, ['10.0.0.7', 9000]],
    ['[2001:db8::1]:8443', true, ['2001:db8::1', 8443]],
    ['[2001:db8::1]', true, ['2001:db8::1', 443]],
    ['catalog:99999', false, ['catalog', undefined]],
    ['catalog:8o', false, ['catalog', undefined]],
    ['2001:db8::1', false, [undefined, undefined]],
    ['[2001:db8::1', false, [undefined, undefined]],
    ['[2001:db8::1]x', false, [undefined, undefined]],
    [':8080', false, [undefined, undefined]],
    ['', false, [undefined, undefined]],
    [undefined, false, [undefined, undefined]],
  ] as const)('reads %j (tls %s) as %j', (host, tls, expected) => {
    expect(of(host, tls)).toEqual(expected);
  });

  it('prefers :authority (HTTP/2) to Host, and parses again when the header or TLS changes', () => {
    expect(of('a:1', false, 'b:2')).toEqual(['b', 2]);
    expect(of('a', false)).toEqual(['a', 80]);
    expect(of('a', true)).toEqual(['a', 443]);
    expect(of('a', true)).toEqual(['a', 443]);
  });
});
