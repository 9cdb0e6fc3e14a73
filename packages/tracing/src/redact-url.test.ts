import { describe, expect, it } from 'vitest';
import { redactQuery, redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it.each([
    ['https://user:pass@example.com/a?b=1', 'https://REDACTED:REDACTED@example.com/a?b=1'],
    ['https://user@example.com/', 'https://REDACTED@example.com/'],
    ['http://u:p@[::1]:8080/x', 'http://REDACTED:REDACTED@[::1]:8080/x'],
    ['http://example.com/path@v2?x=1', 'http://example.com/path@v2?x=1'],
    ['http://example.com/?next=a@b.c', 'http://example.com/?next=a@b.c'],
    [
      'https://bucket.s3.example/key?AWSAccessKeyId=AKIA&Signature=xyz&Expires=1',
      'https://bucket.s3.example/key?AWSAccessKeyId=REDACTED&Signature=REDACTED&Expires=1',
    ],
    ['/p?sig=abc&sig=def#frag', '/p?sig=REDACTED&sig=REDACTED#frag'],
    ['/p?Sig=abc&signature=x&sig', '/p?Sig=abc&signature=x&sig'],
    ['/p?X-Goog-Signature=', '/p?X-Goog-Signature=REDACTED'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('returns the very same string when there is nothing to redact (the span encoder matches by identity)', () => {
    const url = `http://10.0.0.9:8080/products/${42}?currency=EUR`;
    expect(redactUrl(url)).toBe(url);
    expect(Object.is(redactQuery('a=1&b=2'), 'a=1&b=2')).toBe(true);
  });
});
