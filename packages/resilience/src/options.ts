import { assertKnownKeys, assertObject } from '@switchyard/core';

/** Validates a policy's options object: a plain object with only known keys (errors name `<policy>.<key>`). */
export function checkOptions(policy: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  assertObject(policy, options);
  assertKnownKeys(policy, options, known);
  return options;
}
