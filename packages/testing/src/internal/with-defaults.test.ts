import { describe, expect, it } from 'vitest';
import { withDefaults } from './with-defaults.js';

describe('withDefaults', () => {
  it('refuses a "__proto__" key (JSON.parse of a config) instead of making it the result\'s prototype', () => {
    // Assigned, JSON.parse's own "__proto__" key ran the prototype setter: the merged options
    // inherited what was under it, and a non-object value was dropped without a word.
    const options = JSON.parse('{"__proto__": {"timeoutMs": 1}}') as Record<string, unknown>;
    let result: unknown;
    let error: unknown;
    try {
      result = withDefaults({ args: [] }, options);
    } catch (caught) {
      error = caught;
    }
    expect((result as { timeoutMs?: unknown } | undefined)?.timeoutMs).toBeUndefined();
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/__proto__/) });
  });
});
