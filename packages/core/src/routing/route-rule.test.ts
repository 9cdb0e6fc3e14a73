import { assignArm, bucketOf, validateRouteRule } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

describe('validateRouteRule', () => {
  it('accepts weights that sum to 100 and freezes the result', () => {
    const rule = validateRouteRule({ splits: { '1.4.0': 90, '1.5.0': 10 } });
    expect(rule.splits).toEqual({ '1.4.0': 90, '1.5.0': 10 });
    expect(Object.isFrozen(rule.splits)).toBe(true);
  });

  it.each([
    [{ splits: { a: 50, b: 40 } }, 'rule.splits', 'sum to 100, got 90'],
    [{ splits: { a: 110, b: -10 } }, 'rule.splits.a', 'integer percent from 0 to 100'],
    [{ splits: { a: 50.5, b: 49.5 } }, 'rule.splits.a', 'integer percent'],
    [{ splits: {} }, 'rule.splits', 'at least one version'],
    [{ splits: { 'bad version': 100 } }, 'rule.splits.bad version', 'version must be'],
    [{ split: { a: 100 } }, 'rule.split', 'unknown option'],
    ['50/50', 'rule', 'must be an object'],
  ])('rejects %j naming %s', (input, field, message) => {
    expect(() => validateRouteRule(input)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field, message: expect.stringContaining(message) }),
    );
  });
});

describe('deterministic bucketing', () => {
  it('puts the same user in the same arm every time, and splits users by weight', () => {
    expect(() => assignArm('exp-1', 'user-42', { a: -100, b: 100, c: 100 })).toThrow(
      /arms\.a: must be a weight of 0 or more/,
    );
    expect(() => assignArm('exp-1', 'user-42', { a: Number.NaN, b: 100 })).toThrow(/arms\.a/);
    expect(assignArm('exp-1', 'user-42', { a: 50, b: 50 })).toBe(assignArm('exp-1', 'user-42', { a: 50, b: 50 }));
    const arms = Array.from({ length: 10_000 }, (_, i) => assignArm('exp-1', `user-${i}`, { a: 80, b: 20 }));
    const shareB = arms.filter((arm) => arm === 'b').length / arms.length;
    expect(shareB).toBeGreaterThan(0.18);
    expect(shareB).toBeLessThan(0.22);
    // Weights whose sum overflows to Infinity: every user went to the last arm (the point on the
    // line was Infinity or NaN, below no weight). They are relative, so the shares still hold.
    const huge = Array.from({ length: 2_000 }, (_, i) =>
      assignArm('exp-1', `user-${i}`, { a: Number.MAX_VALUE, b: Number.MAX_VALUE }),
    );
    const hugeShareA = huge.filter((arm) => arm === 'a').length / huge.length;
    expect(hugeShareA).toBeGreaterThan(0.45);
    expect(hugeShareA).toBeLessThan(0.55);
    // A different experiment reshuffles users independently.
    const moved = Array.from(
      { length: 1_000 },
      (_, i) => bucketOf('exp-1', `u${i}`) !== bucketOf('exp-2', `u${i}`),
    ).filter(Boolean).length;
    expect(moved).toBeGreaterThan(900);
  });
});

describe('bucketing and arm assignment refuse what is not an id', () => {
  it('rejects a user id, experiment or bucket count of the wrong kind, naming it, instead of bucketing it', () => {
    const refused = (call: () => unknown, field: string) =>
      expect(call).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
    // A user object (or an id missing: undefined) was bucketed as '[object Object]' ('undefined'):
    // every such user in one arm, silently.
    refused(() => assignArm('exp-1', { id: 'user-1' } as never, { a: 50, b: 50 }), 'userId');
    refused(() => assignArm('exp-1', undefined as never, { a: 50, b: 50 }), 'userId');
    refused(() => assignArm(undefined as never, 'user-1', { a: 50, b: 50 }), 'experiment');
    // No arms at all threw a TypeError from Object.entries.
    refused(() => assignArm('exp-1', 'user-1', null as never), 'arms');
    refused(() => bucketOf('exp-1', 42 as never), 'id');
    // 0 buckets gave NaN, a fraction or a negative count a bucket outside 0..buckets-1.
    for (const buckets of [0, -3, 2.5, Number.NaN]) refused(() => bucketOf('exp-1', 'user-1', buckets), 'buckets');
    expect(bucketOf('exp-1', 'user-1', 1)).toBe(0);
  });
});
