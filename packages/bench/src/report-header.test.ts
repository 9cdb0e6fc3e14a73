import { describe, expect, it } from 'vitest';
import { formatInterval, formatSpread } from './report-header.js';

describe('formatInterval', () => {
  it('writes low–high with the digits asked for, and a dash when there is no interval', () => {
    expect(formatInterval({ low: 0.7634, high: 0.8551 }, 2)).toBe('0.76–0.86');
    expect(formatInterval({ low: 1234.4, high: 98.6 })).toBe('1,234–99');
    expect(formatInterval(undefined)).toBe('–');
  });

  it('rounds the way formatSpread does, so a median and its interval read alike', () => {
    expect(formatSpread({ median: 92.5, min: 83.49, max: 138.5 })).toBe('93 (83–139)');
    expect(formatInterval({ low: 83.49, high: 138.5 })).toBe('83–139');
  });
});
