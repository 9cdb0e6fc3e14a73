import { describe, expect, it } from 'vitest';
import { RecentUrls } from './recent-urls.js';

describe('RecentUrls', () => {
  it('gives each origin and path its own URL, the same string again while remembered, and stays bounded', () => {
    const urls = new RecentUrls(8);
    const calls: [string, string, number, string][] = [];
    for (let i = 0; i < 12; i++) calls.push(['http', `10.0.0.${i % 3}`, 8080 + (i % 2), `/p/${i}?q=${i}`]);
    calls.push(['https', 'fe80::1', 443, '/v6'], ['http', '[::1]', 80, '/bracketed']);
    for (let round = 0; round < 3; round++) {
      for (const [scheme, host, port, path] of calls) {
        const expected = `${scheme}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}${path}`;
        expect(urls.urlOf(scheme, host, port, path), `${scheme} ${host} ${port} ${path}`).toBe(expected);
      }
    }
    // The last one built is remembered: the very same string comes back.
    const first = urls.urlOf('http', 'a', 1, '/same');
    expect(Object.is(urls.urlOf('http', 'a', 1, '/same'), first)).toBe(true);
    expect(urls.urlOf('http', 'a', 2, '/same')).toBe('http://a:2/same');
    expect(urls.urlOf('https', 'a', 1, '/same')).toBe('https://a:1/same');
    expect(urls.urlOf('http', 'b', 1, '/same')).toBe('http://b:1/same');
    expect((urls as unknown as { entries: unknown[] }).entries.length).toBeLessThanOrEqual(8);
  });
});
