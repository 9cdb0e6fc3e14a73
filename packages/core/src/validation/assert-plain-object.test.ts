import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { assertPlainObject } from './assert.js';

describe('assertPlainObject', () => {
  it('takes literals, null-prototype objects and literals from another realm', () => {
    expect(() => assertPlainObject('metadata', { track: 'b' })).not.toThrow();
    expect(() => assertPlainObject('metadata', Object.create(null))).not.toThrow();
    // A vm context (a test runner's sandbox) has its own Object.prototype: still a plain object.
    expect(() => assertPlainObject('metadata', runInNewContext('({ track: "b" })'))).not.toThrow();
  });

  it('refuses what keeps its data elsewhere, naming the field and what it got', () => {
    class Tags {}
    for (const [value, kind] of [
      [new Map([['track', 'b']]), 'a Map'],
      [new Date(), 'a Date'],
      [new URLSearchParams('a=1'), 'a URLSearchParams'],
      [new Tags(), 'an instance of Tags'],
    ] as const) {
      expect(() => assertPlainObject('metadata', value)).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          field: 'metadata',
          message: expect.stringContaining(kind),
        }),
      );
    }
    expect(() => assertPlainObject('metadata', ['a'])).toThrow(expect.objectContaining({ field: 'metadata' }));
  });
});
