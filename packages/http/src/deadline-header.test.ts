import { describe, expect, it } from 'vitest';
import { MAX_DEADLINE_HEADER_MS, parseDeadlineHeader } from './deadline-header.js';

describe('parseDeadlineHeader', () => {
  const at = 1_000_000;
  it('reads whole milliseconds from now, and carries no deadline for garbage or more than a day', () => {
    expect(parseDeadlineHeader('250', at)).toBe(at + 250);
    expect(parseDeadlineHeader(undefined, at)).toBe(Number.POSITIVE_INFINITY);
    for (const bad of ['', '1.5', '-1.5', 'soon', '1e3', '86400001', '-', '--5', '- 5']) {
      expect(parseDeadlineHeader(bad, at)).toBe(Number.POSITIVE_INFINITY);
    }
  });

  it('reads a negative budget as a deadline that had passed: no time left, as 0', () => {
    // It read as garbage (no deadline), so the handler ran unbounded for a caller that had given up.
    for (const passed of ['-5', '-0', '-1500', '-99999999999999999999']) {
      expect(parseDeadlineHeader(passed, at), passed).toBe(at);
    }
    expect(parseDeadlineHeader('0', at)).toBe(at);
    expect(parseDeadlineHeader('300, -5', at)).toBe(at);
  });

  it('reads up to a day, the most a client sends (a longer budget goes out as no header)', () => {
    expect(parseDeadlineHeader(String(MAX_DEADLINE_HEADER_MS), at)).toBe(at + MAX_DEADLINE_HEADER_MS);
    expect(parseDeadlineHeader(String(MAX_DEADLINE_HEADER_MS + 1), at)).toBe(Number.POSITIVE_INFINITY);
    // What clients sent for a far deadline before: never read as a budget.
    for (const far of ['1.7976931348623157e+308', '1e+21', '172800000']) {
      expect(parseDeadlineHeader(far, at)).toBe(Number.POSITIVE_INFINITY);
    }
  });

  it('takes the smaller budget of a header sent twice, joined by Node or as an array', () => {
    // Node joins repeated headers with ", ": this read as malformed, so the request had no deadline.
    expect(parseDeadlineHeader('100, 200', at)).toBe(at + 100);
    expect(parseDeadlineHeader('200,100', at)).toBe(at + 100);
    expect(parseDeadlineHeader(['300', '150'], at)).toBe(at + 150);
    expect(parseDeadlineHeader('soon, 400', at)).toBe(at + 400);
  });
});
