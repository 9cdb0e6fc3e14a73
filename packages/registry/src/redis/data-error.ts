import { ErrorCode, SwitchyardError } from '@switchyard/core';

/**
 * Redis answered, but a key of the registry holds the wrong kind of value (Redis's `WRONGTYPE`
 * reply): a list where the registry keeps a string, say, written by hand or by a foreign tool sharing
 * the namespace. Code `DATA_LOSS` (the registry's data is corrupt: gRPC's "unrecoverable data loss
 * or corruption"), not retryable: trying again gives the same answer until someone repairs the key.
 * It used to be `REGISTRY_UNAVAILABLE`, retryable, which sent operators looking for an outage and
 * callers waiting for one to end. `FAILED_PRECONDITION` was not taken: the registry answers it when
 * a conditional write finds another rule or owner (a caller such as the canary controller reads
 * that as "someone else wrote it, decide again"), which a corrupt key is not.
 *
 * `key` names the key when the registry could tell which one (it asks Redis for the `TYPE` of the
 * service's keys; an ACL without `TYPE` leaves it undefined), and the message says how to repair it.
 */
export class RegistryDataError extends SwitchyardError {
  /** The key of the wrong type, when known. */
  readonly key: string | undefined;

  /** Not retryable; `options.key` names the key of the wrong type when known. */
  constructor(message: string, options: { key?: string | undefined } = {}) {
    super(ErrorCode.DATA_LOSS, message, { retryable: false });
    this.key = options.key;
  }
}

/** Redis's reply to a command on a key that holds another kind of value. */
const WRONG_TYPE = /\bWRONGTYPE\b/;

/** Whether `error` is Redis's WRONGTYPE reply (raw, from ioredis). */
export function wrongTypeReply(error: unknown): boolean {
  return WRONG_TYPE.test((error as Error | undefined)?.message ?? '');
}

/** What the message of a {@link RegistryDataError} says before the key is known. */
export const WRONG_TYPE_SUMMARY =
  'a key of the registry holds the wrong kind of value (written by hand or by another tool sharing the namespace?)';
