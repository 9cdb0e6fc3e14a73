import { assertInteger, assertKnownKeys, assertObject, InvalidArgumentError } from '@switchyard/core';
import type { RegisterOptions } from './registry.js';

/** Bounds on a registration's TTL. */
export const TTL_LIMITS = Object.freeze({ minMs: 500, maxMs: 86_400_000 });

/** Validates the options of `register()` and resolves the TTL. */
export function resolveRegisterOptions(options: RegisterOptions | undefined, defaultTtlMs: number): { ttlMs: number } {
  if (options === undefined) return { ttlMs: defaultTtlMs };
  assertObject('options', options);
  assertKnownKeys('options', options as Record<string, unknown>, ['ttlMs']);
  const ttlMs = options.ttlMs ?? defaultTtlMs;
  assertInteger('options.ttlMs', ttlMs, TTL_LIMITS.minMs, TTL_LIMITS.maxMs);
  return { ttlMs };
}

/** Namespaces become the first segment of Redis keys and channels. */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Validates a registry namespace (for tools that read the registry's keys themselves). @throws InvalidArgumentError naming `namespace`. */
export function validateNamespace(namespace: unknown): string {
  if (typeof namespace !== 'string' || !NAMESPACE_PATTERN.test(namespace)) {
    throw new InvalidArgumentError(
      'namespace',
      'must be 1-63 characters of letters, digits, ".", "_" or "-", starting with a letter or digit (no ":" or braces)',
    );
  }
  return namespace;
}

/** A watch listener must be a function: anything else would give a watch that silently delivers nothing. */
export function assertListener(listener: unknown): void {
  if (typeof listener !== 'function') {
    throw new InvalidArgumentError(
      'listener',
      `must be a function, got ${listener === null ? 'null' : typeof listener}`,
    );
  }
}
