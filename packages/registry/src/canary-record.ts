import {
  assertInteger,
  assertKnownKeys,
  assertObject,
  assertString,
  INSTANCE_LIMITS,
  InvalidArgumentError,
  SwitchyardError,
} from '@switchyard/core';

/**
 * Where a service's canary release stands, kept in the registry so that it outlives the controller
 * that drives it: a controller restarted mid-rollout resumes at the step recorded, one restarted
 * after a rollback does not put the failed version back, and two controllers of one service do not
 * run two releases over each other (see createCanaryController in @switchyard/discovery).
 */
export interface CanaryRecord {
  /** The version being released. */
  readonly canary: string;
  /** The version in production it is released against. */
  readonly stable: string;
  /** The canary's share the controller last wrote (0..100). */
  readonly percent: number;
  /** `running`: being rolled out; `rolled-back`: failed, stays so until retried by hand; `complete`: fully promoted. */
  readonly state: 'running' | 'rolled-back' | 'complete';
  /** Why it was rolled back (or any note of the last change); '' when none. */
  readonly reason: string;
  /** The controller that holds the record (see `ownerLeaseMs`). */
  readonly owner: string;
  /**
   * How long the owner's lease still runs, on the registry's clock when the record was read (0:
   * expired or released). A record whose owner's lease has run out belongs to nobody: a controller
   * that crashed does not hold its service for good.
   */
  readonly ownerLeaseMs: number;
  /** When the record was last written (ms since the epoch, registry clock). */
  readonly updatedAt: number;
  /** +1 on every write: what a conditional {@link CanaryRecordWrite} `expected` names. */
  readonly revision: number;
}

/** What a controller writes: the record without the fields the registry sets. */
export interface CanaryRecordInput {
  /** The version being released (the rules of an instance's `version`). */
  canary: string;
  /** The version in production it is released against (the rules of an instance's `version`). */
  stable: string;
  /** Integer 0..100. */
  percent: number;
  /** `running`, `rolled-back` or `complete` (see {@link CanaryRecord.state}). */
  state: CanaryRecord['state'];
  /** At most 1024 characters. @default '' */
  reason?: string;
  /** 1..256 characters. */
  owner: string;
  /** The owner's lease from now, ms; 0 releases it (the record stays). Integer 0..86_400_000. */
  leaseMs: number;
}

/** Options of {@link Registry.setCanary}. */
export interface CanaryRecordWrite {
  /**
   * Write only if the stored record is at this revision, or with `null` only if there is none;
   * else FAILED_PRECONDITION (not retryable; nothing written). @default unconditional
   */
  expected?: number | null;
}

/**
 * How long a canary record outlives its last write (30 days, the same on every backend): long
 * enough that a retried deploy job finds a rollback, short enough that a service gone for good
 * leaves nothing behind.
 */
export const CANARY_RECORD_TTL_MS = 30 * 86_400_000;

const STATES: readonly string[] = ['running', 'rolled-back', 'complete'];

/** `input` checked (INVALID_ARGUMENT naming the field), as stored: without the registry's fields. */
export function validateCanaryInput(input: unknown): Required<CanaryRecordInput> {
  assertObject('record', input);
  assertKnownKeys('record', input, ['canary', 'stable', 'percent', 'state', 'reason', 'owner', 'leaseMs']);
  const record = input as unknown as CanaryRecordInput;
  assertString('record.canary', record.canary, INSTANCE_LIMITS.versionPattern, INSTANCE_LIMITS.versionRule);
  assertString('record.stable', record.stable, INSTANCE_LIMITS.versionPattern, INSTANCE_LIMITS.versionRule);
  assertInteger('record.percent', record.percent, 0, 100);
  if (!STATES.includes(record.state as string)) {
    throw new InvalidArgumentError('record.state', `must be one of ${STATES.join(', ')}`);
  }
  const reason = record.reason ?? '';
  if (typeof reason !== 'string' || reason.length > 1024) {
    throw new InvalidArgumentError('record.reason', 'must be a string of at most 1024 characters');
  }
  if (typeof record.owner !== 'string' || record.owner.length === 0 || record.owner.length > 256) {
    throw new InvalidArgumentError('record.owner', 'must be a string of 1..256 characters');
  }
  assertInteger('record.leaseMs', record.leaseMs, 0, 86_400_000);
  const { canary, stable, percent, state, owner, leaseMs } = record;
  return { canary, stable, percent, state, reason, owner, leaseMs };
}

/** The `expected` of a conditional write (null: none stored), or undefined for an unconditional one. */
export function expectedCanaryOf(options: CanaryRecordWrite | undefined): number | null | undefined {
  if (options === undefined) return undefined;
  assertObject('options', options);
  assertKnownKeys('options', options, ['expected']);
  const { expected } = options;
  if (expected === undefined || expected === null) return expected;
  assertInteger('options.expected', expected, 1, Number.MAX_SAFE_INTEGER);
  return expected;
}

/** FAILED_PRECONDITION for a conditional write that found another revision (`found`: 0 none, -1 unreadable). */
export function canaryPreconditionFailed(service: string, expected: number | null, found: number): SwitchyardError {
  const now = found === 0 ? 'no record' : found < 0 ? 'a record that cannot be read' : `revision ${found}`;
  const wanted = expected === null ? 'no record' : `revision ${expected}`;
  return new SwitchyardError(
    'FAILED_PRECONDITION',
    `${service}'s canary record is at ${now}, not the ${wanted} expected: it was changed meanwhile; nothing was written`,
    { retryable: false },
  );
}

/** The stored form (JSON in Redis): the record with the owner's lease as an absolute expiry. */
export interface StoredCanaryRecord extends Omit<CanaryRecord, 'ownerLeaseMs'> {
  leaseUntil: number;
}

/** A stored record read back, or undefined when it is not one (garbage written by hand). */
export function decodeCanaryRecord(value: unknown, now: number): CanaryRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const stored = value as Partial<StoredCanaryRecord>;
  try {
    const { canary, stable, percent, state, reason, owner } = validateCanaryInput({
      canary: stored.canary,
      stable: stored.stable,
      percent: stored.percent,
      state: stored.state,
      reason: stored.reason ?? '',
      owner: stored.owner,
      leaseMs: 0,
    });
    if (![stored.leaseUntil, stored.updatedAt, stored.revision].every(Number.isSafeInteger)) return undefined;
    // A revision below 1 is none the registry writes, and none a conditional write can name
    // (`expected` is 1 or more): read as a record that cannot be read, as the Redis script takes it.
    if ((stored.revision as number) < 1) return undefined;
    return {
      canary,
      stable,
      percent,
      state,
      reason,
      owner,
      ownerLeaseMs: Math.max(0, (stored.leaseUntil as number) - now),
      updatedAt: stored.updatedAt as number,
      revision: stored.revision as number,
    };
  } catch {
    return undefined;
  }
}
