import { describe, expect, it } from 'vitest';
import { stockStoreFromEnv } from './stock-store-from-env.js';

describe('stockStoreFromEnv', () => {
  it('names the scheme of a CATALOG_STOCK_URL it refuses, and never echoes the rest (it may hold a password)', () => {
    expect(() => stockStoreFromEnv({ CATALOG_STOCK_URL: 'http://user:secret@redis:6379' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        field: 'CATALOG_STOCK_URL',
        message: expect.stringContaining('got "http://"'),
      }),
    );
  });

  // The commonest slip, a URL without its scheme, was reported as `got "lo"` (the first two characters).
  it('says so when CATALOG_STOCK_URL has no scheme at all', () => {
    let message = '';
    try {
      stockStoreFromEnv({ CATALOG_STOCK_URL: 'localhost:6379' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/CATALOG_STOCK_URL: .*got a value without a scheme/);
    expect(message).not.toContain('lo"');
  });

  it('names CATALOG_STOCK_HOLD_MS when it is not a whole number of ms, and passes a good one to the store', () => {
    for (const value of ['abc', '0', '1.5', '-1', '90000000']) {
      expect(() => stockStoreFromEnv({ CATALOG_STOCK_URL: 'memory://', CATALOG_STOCK_HOLD_MS: value })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'CATALOG_STOCK_HOLD_MS' }),
      );
    }
    // The first memory store of this process (the module is this file's own) takes it.
    expect(String(stockStoreFromEnv({ CATALOG_STOCK_URL: 'memory://', CATALOG_STOCK_HOLD_MS: '5000' }))).toContain(
      'holdMs=5000',
    );
  });
});
