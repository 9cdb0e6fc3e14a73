import { describe, expect, it } from 'vitest';
import { ExitCode } from '../index.js';
import { runCliInProcess } from '../test-support/run-cli-in-process.js';
import { parseSplits } from './route.js';

/** `route set` with an unreachable registry: a usage error must come before any registry call. */
const set = (...splits: string[]) =>
  runCliInProcess(['route', 'set', 'catalog', ...splits], { SWITCHYARD_REGISTRY_URL: 'redis://127.0.0.1:1' });

describe('switchyard route set: the <version>=<percent> arguments', () => {
  it.each([
    // A negative, fractional or too large share was only "not <version>=<percent>", naming no rule.
    [['1.4.0=-5', '1.5.0=105'], /"1\.4\.0=-5": the percent must be an integer from 0 to 100/],
    [['1.4.0=95.5', '1.5.0=4.5'], /"1\.4\.0=95\.5": the percent must be an integer from 0 to 100/],
    [['1.4.0=1000'], /"1\.4\.0=1000": the percent must be an integer from 0 to 100/],
    // `__proto__` was assigned to the object's prototype and vanished: the rule then read
    // "must name at least one version" (or "weights must sum to 100, got 95" beside 1.4.0=95).
    [['__proto__=5', '1.4.0=95'], /version "__proto__" must be 1-64 characters/],
    [['__proto__=100'], /version "__proto__" must be 1-64 characters/],
  ])('%j is refused in one line naming the rule (exit 2)', async (splits, message) => {
    const result = await set(...splits);
    expect(result.code).toBe(ExitCode.USAGE);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('parses versions and percents, with or without a trailing %', () => {
    expect(parseSplits(['1.4.0=95', '1.5.0=5%', 'constructor=0'])).toEqual({ '1.4.0': 95, '1.5.0': 5, constructor: 0 });
  });
});
