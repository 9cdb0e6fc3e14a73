import { describe, expect, it } from 'vitest';
import { stem, tokenize } from './index.js';

describe('tokenize', () => {
  it('lower-cases, strips accents and punctuation, drops stop words', () => {
    expect(tokenize('The Crème-Brûlée Set, for 2!')).toEqual(['creme', 'brulee', 'set', '2']);
  });

  it('stems plurals the same way for documents and queries', () => {
    expect(['headphones', 'boxes', 'batteries', 'glasses', 'bus', 'kids', 'tent'].map(stem)).toEqual([
      'headphone',
      'box',
      'battery',
      'glass',
      'bus',
      'kid',
      'tent',
    ]);
  });
});
