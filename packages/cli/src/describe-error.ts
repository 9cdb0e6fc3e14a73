import { SwitchyardError } from '@switchyard/core';
import { GrpcCallError } from '@switchyard/grpc';
import { CliError, ExitCode, UsageError } from './cli-error.js';
import type { OpenedRegistry } from './registry/open-registry.js';

// Codes whose message is only a summary: the cause says what actually happened.
const WRAPPING_CODES = new Set(['RETRY_EXHAUSTED', 'RETRY_BUDGET_EXHAUSTED', 'DEADLINE_EXCEEDED', 'CIRCUIT_OPEN']);

/**
 * Turns anything a command threw into a {@link CliError}: one line, an exit code, never a stack.
 * Bad input (INVALID_ARGUMENT raised before or instead of a call) is a usage error (2); every
 * other failure, including a gRPC reply with any status, is 1.
 */
export function toCliError(error: unknown, registry?: OpenedRegistry): CliError {
  if (error instanceof CliError) return error;
  if (SwitchyardError.isInstance(error)) {
    // Redis answered, about the registry's data: a key of the wrong type (written by hand or by a
    // foreign tool sharing the namespace), which the registry reports as DATA_LOSS, naming the key
    // and how to repair it when it can tell. Not "registry unavailable": that sent the operator
    // looking for an outage instead of the key. (This used to match WRONGTYPE in the message of a
    // REGISTRY_UNAVAILABLE; the code is the contract.)
    if (error.code === 'DATA_LOSS') {
      return new CliError(`cannot read the registry's data (a key of the wrong type): ${oneLine(error.message)}`);
    }
    if (error.code === 'REGISTRY_UNAVAILABLE' && registry) {
      // "Cannot reach" only for a failure to connect, which the registry words with the connection's
      // last error in it ("could not connect within 2000 ms (connect): connect ECONNREFUSED …").
      // Said of every REGISTRY_UNAVAILABLE, a refusal by a Redis the CLI had reached (out of memory,
      // READONLY, a database it does not have) was reported as whatever connection attempt had
      // failed before, "connect ECONNREFUSED", and what Redis said was lost.
      const detail = registry.lastConnectionError();
      return new CliError(
        detail && error.message.includes(detail)
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
