import { INSTANCE_LIMITS, validateInstance, validateRouteRule } from '@switchyard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyValue, edgyString, expectInvalidArgument, instanceLike, runs, version } from './support/arbitraries.js';

describe('validateInstance over arbitrary input', () => {
  it('accepts a normalised, frozen instance that survives a JSON round trip, or throws INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(fc.oneof(instanceLike, anyValue), (input) => {
        let instance: ReturnType<typeof validateInstance>;
        try {
          instance = validateInstance(input);
        } catch (error) {
          expectInvalidArgument(error, 'validateInstance');
          return;
        }
        expect(Object.isFrozen(instance) && Object.isFrozen(instance.ports) && Object.isFrozen(instance.metadata)).toBe(
          true,
        );
        expect(INSTANCE_LIMITS.servicePattern.test(instance.service)).toBe(true);
        expect(INSTANCE_LIMITS.idPattern.test(instance.id)).toBe(true);
        // Nothing that would split a Redis key or a URL gets through.
        expect(`${instance.service}${instance.id}`).not.toMatch(/[{}\s*]/);
        expect(instance.host).not.toMatch(/[/\s@?#]/);
        for (const value of Object.values(instance.ports)) expect(Number.isInteger(value)).toBe(true);
        expect(validateInstance(JSON.parse(JSON.stringify(instance)))).toEqual(instance);
      }),
      runs(400),
    );
  });

  it('never reads inherited properties: a prototype-polluted input is judged on its own keys', () => {
    fc.assert(
      fc.property(fc.constantFrom('service', 'host', 'ports', 'id'), (key) => {
        const proto = { [key]: key === 'ports' ? { grpc: 1 } : 'x' };
        const input = Object.create(proto) as Record<string, unknown>;
        try {
          validateInstance(input);
          // Accepting would mean a value that is not the caller's own was registered.
          expect.unreachable('accepted an instance made of inherited properties');
        } catch (error) {
          expectInvalidArgument(error);
        }
      }),
      runs(20),
    );
  });
});

describe('validateRouteRule over arbitrary input', () => {
  const splitsLike = fc.oneof(
    fc.dictionary(version, fc.integer({ min: 0, max: 100 }), { minKeys: 1, maxKeys: 4 }),
    fc.dictionary(fc.oneof(version, edgyString), fc.oneof(fc.integer(), fc.double(), anyValue), { maxKeys: 20 }),
    anyValue,
  );
  const ruleLike = fc.oneof(
    fc.record({ splits: splitsLike }),
    fc.record({ splits: splitsLike, extra: anyValue }),
    // Exactly-100 splits, the accepted shape.
    fc.array(version, { minLength: 1, maxLength: 5 }).chain((versions) =>
      fc.array(fc.nat(100), { minLength: versions.length - 1, maxLength: versions.length - 1 }).map((cuts) => {
        const sorted = [0, ...cuts.sort((a, b) => a - b), 100];
        return {
          splits: Object.fromEntries(versions.map((v, i) => [v, (sorted[i + 1] as number) - (sorted[i] as number)])),
        };
      }),
    ),
    anyValue,
  );

  it('accepts only integer percents 0..100 over valid versions summing to 100; otherwise INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(ruleLike, (input) => {
        let rule: ReturnType<typeof validateRouteRule>;
        try {
          rule = validateRouteRule(input);
        } catch (error) {
          expectInvalidArgument(error, 'validateRouteRule');
          return;
        }
        const weights = Object.values(rule.splits);
        expect(weights.reduce((sum, weight) => sum + weight, 0)).toBe(100);
        for (const weight of weights) expect(Number.isInteger(weight) && weight >= 0 && weight <= 100).toBe(true);
        for (const key of Object.keys(rule.splits)) expect(INSTANCE_LIMITS.versionPattern.test(key)).toBe(true);
        expect(Object.isFrozen(rule) && Object.isFrozen(rule.splits)).toBe(true);
        expect(validateRouteRule(JSON.parse(JSON.stringify(rule)))).toEqual(rule);
      }),
      runs(400),
    );
  });
});
