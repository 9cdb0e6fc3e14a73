import { describe, expect, it } from 'vitest';
import { validateInstance } from '../instance/validate-instance.js';
import { describeValue } from './assert.js';

describe('describeValue', () => {
  it('shows the character that broke the rule when it looks like another or like nothing at all', () => {
    // A Cyrillic "а" (U+0430), a zero-width space and a no-break space (pasted from a wiki page):
    // the message said `got "cаtalog"` or `got "catalog​"`, which reads as the valid name it is not.
    expect(describeValue('c\u0430talog')).toBe('"c\\u0430talog"');
    expect(describeValue('catalog\u200b')).toBe('"catalog\\u200b"');
    expect(describeValue('10.0.0.7\u00a0')).toBe('"10.0.0.7\\u00a0"');
    expect(describeValue('v1\u{1f680}')).toBe('"v1\\u{1f680}"');
    expect(() => validateInstance({ service: 'c\u0430talog', host: '10.0.0.7', ports: { grpc: 1 } })).toThrow(
      expect.objectContaining({ field: 'instance.service', message: expect.stringContaining('got "c\\u0430talog"') }),
    );
    // Printable ASCII reads as it is; control characters as JSON escapes them.
    expect(describeValue('catalog ')).toBe('"catalog "');
    expect(describeValue('a\tb"c')).toBe('"a\\tb\\"c"');
  });
});
