import type { ErrorCode } from './error-code.js';

// Symbol.for() so that `isInstance` works across two installed copies of @switchyard/core.
const marker = Symbol.for('switchyard.error');

/** Options common to every {@link SwitchyardError}. */
export interface SwitchyardErrorOptions {
  /** The underlying error, kept for logs and debugging. @default none */
  cause?: unknown;
  /** Whether repeating the same operation may succeed. @default false */
  retryable?: boolean;
}

/**
 * Base class of every error Switchyard throws. Carries a stable {@link ErrorCode} and a `retryable`
 * flag that the resilience policies read.
 *
 * @example
 * ```ts
 * try { await registry.list('catalog'); }
 * catch (error) { if (SwitchyardError.isInstance(error) && error.code === 'REGISTRY_UNAVAILABLE') … }
 * ```
 */
export class SwitchyardError extends Error {
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: the brand that isInstance() checks with `in`
  private readonly [marker] = true;
  /** What failed, stable across releases: branch on it, not on the message or the class. */
  readonly code: ErrorCode;
  /** Whether repeating the same operation may succeed (what `retry()` reads by default). */
  readonly retryable: boolean;

  /**
   * @param code - the stable code callers branch on.
   * @param message - for people and logs; may change between releases.
   * @param options - `cause` and `retryable` (default `false`).
   */
  constructor(code: ErrorCode, message: string, options: SwitchyardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  /** True for any Switchyard error, even one thrown by another installed copy of the package. */
  static isInstance(error: unknown): error is SwitchyardError {
    return isSwitchyardError(error);
  }

  /** True when `error` is a Switchyard error with the given code. */
  static hasCode(error: unknown, code: ErrorCode): error is SwitchyardError {
    return isSwitchyardError(error) && error.code === code;
  }
}

// Outside the class: a class body that names its class is bundled by esbuild (tsup) as
// `var SwitchyardError = class _SwitchyardError`, and every error made with `new SwitchyardError`
// was then named `_SwitchyardError` (its `name`, its stack, the logs' `type`).
function isSwitchyardError(error: unknown): error is SwitchyardError {
  return typeof error === 'object' && error !== null && marker in error;
}
