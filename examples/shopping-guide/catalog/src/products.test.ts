import { describe, expect, it } from 'vitest';
import { CATEGORIES, PRODUCTS } from './index.js';

describe('the example data set', () => {
  it('has about forty complete products over six categories, with unique ids', () => {
    expect(PRODUCTS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(PRODUCTS.map((product) => product.id)).size).toBe(PRODUCTS.length);
    for (const category of CATEGORIES) {
      expect(PRODUCTS.filter((product) => product.category === category).length).toBeGreaterThanOrEqual(6);
    }
    for (const product of PRODUCTS) {
      expect(product.name.length).toBeGreaterThan(3);
      expect(product.description.length).toBeGreaterThan(20);
      expect(product.tags.length).toBeGreaterThanOrEqual(2);
      expect(product.priceCents).toBeGreaterThan(0);
      expect(Number.isInteger(product.stock) && product.stock >= 0).toBe(true);
    }
  });

  it('includes scarce and sold-out products, so rejections can be shown', () => {
    expect(PRODUCTS.some((product) => product.stock === 0)).toBe(true);
    expect(PRODUCTS.filter((product) => product.stock > 0 && product.stock <= 5).length).toBeGreaterThanOrEqual(3);
  });
});
