import { SwitchyardError } from '@switchyard/core';
import { GrpcCallError } from '@switchyard/grpc';
import { CliError, ExitCode, UsageError } from './cli-error.js';
import type { OpenedRegistry } from './registry/open-registry.js';

// Codes whose message is only a summary: the cause says what actually happened.
const WRAPPING_CODES = new Set(['RETRY_EXHAUSTED', 'RETRY_BUDGET_EXHAUSTED', 'DEADLINE_EXCEEDED', 'CIRCUIT_OPEN']);

/** Redis's reply to a command on a key that holds another kind of value. */
const WRONG_TYPE = /\bWRONGTYPE\b/;

/**
 * Turns anything a command threw into a {@link CliError}: one line, an exit code, never a stack.
 * Bad input (INVALID_ARGUMENT raised before or instead of a call) is a usage error (2); every
 * other failure, including a gRPC reply with any status, is 1.
 */
export function toCliError(error: unknown, registry?: OpenedRegistry): CliError {
  if (error instanceof CliError) return error;
  if (SwitchyardError.isInstance(error)) {
    // The registry reports a reply of Redis's about its data (a key of the wrong type, written by
    // hand or by a foreign tool sharing the namespace) as REGISTRY_UNAVAILABLE too. Redis answered:
    // "registry unavailable" sent the operator looking for an outage instead of the key.
    if (error.code === 'REGISTRY_UNAVAILABLE' && WRONG_TYPE.test(error.message)) {
      return new CliError(
        `cannot read the registry's data (a key of the wrong type, written by hand or by another tool sharing the namespace?): ${oneLine(error.message)}`,
      );
    }
    if (error.code === 'REGISTRY_UNAVAILABLE' && registry) {
      const detail = registry.lastConnectionError();
      return new CliError(
        detail
          ? `cannot reach the registry at ${registry.target.label}: ${detail}`
          : `registry unavailable: ${oneLine(error.message)}`,
      );
    }
    if (error instanceof GrpcCallError) return new CliError(oneLine(error.message));
    if (error.code === 'INVALID_ARGUMENT') return new UsageError(oneLine(error.message));
    return new CliError(oneLine(describeSwitchyardError(error)));
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(`unexpected error: ${oneLine(message)}`, ExitCode.FAILURE);
}

function describeSwitchyardError(error: SwitchyardError): string {
  const base = error.message.includes(error.code) ? error.message : `${error.code}: ${error.message}`;
  const cause = (error as { cause?: unknown }).cause;
  if (WRAPPING_CODES.has(error.code) && cause instanceof Error && !base.includes(cause.message)) {
    return `${base}; last error: ${cause.message}`;
  }
  return base;
}

/** Joins a multi-line message into one line. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
