import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { withDefaults } from './with-defaults.js';

describe('withDefaults', () => {
  it('keeps a default for an option given as undefined and takes the others', () => {
    expect(withDefaults({ a: 1, b: 2 }, { a: undefined, b: 3, c: 4 })).toEqual({ a: 1, b: 3, c: 4 });
  });

  it('refuses a "__proto__" key (JSON.parse of a config) instead of making it the result\'s prototype', () => {
    // JSON.parse makes "__proto__" an ordinary own key; copied by assignment it became the merged
    // object's prototype, so the options under it were read by inheritance (past any key check on
    // the given object), and a non-object value was dropped without a word.
    const options = JSON.parse('{"__proto__": {"injected": true}, "a": 5}') as Record<string, unknown>;
    let result: unknown;
    let error: unknown;
    try {
      result = withDefaults({ a: 1 }, options);
    } catch (caught) {
      error = caught;
    }
    expect((result as { injected?: unknown } | undefined)?.injected).toBeUndefined();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe('__proto__');
    expect(({} as { injected?: unknown }).injected).toBeUndefined();
  });

  it('refuses a non-object "__proto__" value too, rather than dropping it', () => {
    const options = JSON.parse('{"__proto__": 5}') as Record<string, unknown>;
    expect(() => withDefaults({ a: 1 }, options)).toThrow(InvalidArgumentError);
  });
});
