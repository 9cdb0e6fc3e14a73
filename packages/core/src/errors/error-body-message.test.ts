import { describe, expect, it } from 'vitest';
import { boundedDetail, errorBodyMessage } from '@switchyard/core';

describe('boundedDetail and errorBodyMessage', () => {
  it('never return a lone surrogate, which grpc-js cannot send (encodeURI throws: the call hung to its deadline)', () => {
    // An emoji (two UTF-16 code units) across the 500-character cut: the cut kept its first half.
    const cut = boundedDetail(`${'a'.repeat(499)}😀 and more`) as string;
    expect(() => encodeURI(cut)).not.toThrow();
    expect(cut).toBe(`${'a'.repeat(499)}…`);
    // A JSON body may escape a lone surrogate itself ("\ud83d"): JSON.parse hands it over as it is.
    const relayed = errorBodyMessage({
      body: '{"message":"bad \\ud83d name"}',
      headers: { 'content-type': 'application/json' },
    }) as string;
    expect(() => encodeURI(relayed)).not.toThrow();
    expect(relayed).toBe('bad \uFFFD name');
    // Well-formed text, pairs included, is kept as it is.
    expect(boundedDetail(' not found: 😀 ')).toBe('not found: 😀');
    expect(boundedDetail(`${'a'.repeat(498)}😀`)).toBe(`${'a'.repeat(498)}😀`);
  });
});
