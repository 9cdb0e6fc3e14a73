import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/** Why a registration stopped being the owner of its registry entry. */
export type RegistrationLostReason = 'superseded' | 'deregistered' | 'abandoned';

/**
 * A registration no longer owns its entry: another registration took the same id (`superseded`),
 * or the entry was removed on purpose, e.g. by an operator (`deregistered`), or its owner let go
 * of it without removing it, as a crashed process would (`abandoned`). A lost registration never
 * writes its entry back.
 */
export class RegistrationLostError extends SwitchyardError {
  /** Why the registration lost its entry (see {@link RegistrationLostReason}). */
  readonly reason: RegistrationLostReason;
  /** The message reads `registration <id> was <reason>`. Not retryable. */
  constructor(id: string, reason: RegistrationLostReason) {
    super(ErrorCode.REGISTRATION_LOST, `registration ${id} was ${reason}`);
    this.reason = reason;
  }
}
