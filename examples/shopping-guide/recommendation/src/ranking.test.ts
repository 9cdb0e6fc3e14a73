import type { Product__Output } from '@shopping-guide/shared';
import { describe, expect, it } from 'vitest';
import { type RankInput, rank, similarity } from './index.js';

const product = (id: string, category: string, tags: string[], stock = 10): Product__Output => ({
  id,
  name: id,
  category,
  tags,
  stock,
  priceCents: 100,
  description: '',
});
const headphones = product('headphones', 'electronics', ['audio', 'wireless']);
const speaker = product('speaker', 'electronics', ['audio', 'wireless', 'portable']);
const charger = product('charger', 'electronics', ['portable']);
const tent = product('tent', 'outdoor', ['camping']);
const stove = product('stove', 'outdoor', ['camping', 'cooking']);
const novel = product('novel', 'books', ['fiction', 'bestseller']);
const soldOut = product('sold-out', 'electronics', ['audio', 'wireless'], 0);
const products = [headphones, speaker, charger, tent, stove, novel, soldOut];

const input = (overrides: Partial<RankInput>): RankInput => ({
  strategy: 'similar',
  products,
  viewed: [],
  limit: 3,
  views: () => 0,
  trend: () => 0,
  ...overrides,
});

describe('rank', () => {
  it('scores similarity by category and shared tags', () => {
    expect(similarity(headphones, speaker)).toBe(4);
    expect(similarity(headphones, tent)).toBe(0);
  });

  it('recommends what is related to recent views, never what was viewed or is sold out', () => {
    const ranked = rank(input({ viewed: [headphones] }));
    expect(ranked.strategy).toBe('co-view');
    expect(ranked.products.map((item) => item.id)).toEqual(['speaker', 'charger', 'novel']);
  });

  it('weighs recent views more than older ones', () => {
    const ranked = rank(input({ viewed: [tent, headphones], limit: 2 }));
    expect(ranked.products.map((item) => item.id)).toEqual(['stove', 'speaker']);
  });

  it('answers popular products for a user without history', () => {
    const views: Record<string, number> = { tent: 5, charger: 1 };
    const ranked = rank(input({ views: (id) => views[id] ?? 0 }));
    expect(ranked).toMatchObject({ strategy: 'popular' });
    // tent: 5 views; novel: the bestseller bonus (3); charger: 1 view.
    expect(ranked.products.map((item) => item.id)).toEqual(['tent', 'novel', 'charger']);
  });

  it('on the trending arm, ranks by what is viewed now and says so', () => {
    const trend: Record<string, number> = { charger: 4, stove: 6 };
    const similar = rank(input({ viewed: [headphones], limit: 2 }));
    const trending = rank(
      input({ strategy: 'trending', viewed: [headphones], limit: 2, trend: (id) => trend[id] ?? 0 }),
    );
    expect(similar.products.map((item) => item.id)).toEqual(['speaker', 'charger']);
    expect(trending).toMatchObject({ strategy: 'trending-co-view' });
    expect(trending.products.map((item) => item.id)).toEqual(['charger', 'speaker']);
    const anonymous = rank(input({ strategy: 'trending', trend: (id) => trend[id] ?? 0 }));
    expect(anonymous.strategy).toBe('trending');
    expect(anonymous.products.map((item) => item.id)).toEqual(['stove', 'charger', 'novel']);
  });
});
