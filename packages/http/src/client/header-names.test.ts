import { describe, expect, it } from 'vitest';
import { lowerCaseHeaderName, MAX_REMEMBERED_HEADER_NAMES, rememberedHeaderNameCount } from './header-names.js';

describe('lowerCaseHeaderName', () => {
  it('lower-cases a valid name, the first time and from memory', () => {
    expect(lowerCaseHeaderName('X-Request-Id')).toBe('x-request-id');
    expect(lowerCaseHeaderName('X-Request-Id')).toBe('x-request-id');
    expect(lowerCaseHeaderName('accept')).toBe('accept');
  });

  it('refuses names that are not HTTP tokens, however often asked', () => {
    for (let round = 0; round < 3; round++) {
      expect(lowerCaseHeaderName('x-user\r\nx-admin')).toBeUndefined();
      expect(lowerCaseHeaderName('bad name')).toBeUndefined();
      expect(lowerCaseHeaderName('x:y')).toBeUndefined();
      expect(lowerCaseHeaderName('')).toBeUndefined();
    }
  });

  it('keeps at most MAX_REMEMBERED_HEADER_NAMES names, and stays right past the bound', () => {
    for (let n = 0; n < MAX_REMEMBERED_HEADER_NAMES * 3; n++) {
      expect(lowerCaseHeaderName(`X-Name-${n}`)).toBe(`x-name-${n}`);
      expect(rememberedHeaderNameCount()).toBeLessThanOrEqual(MAX_REMEMBERED_HEADER_NAMES);
    }
    expect(lowerCaseHeaderName('bad name')).toBeUndefined();
  });
});
