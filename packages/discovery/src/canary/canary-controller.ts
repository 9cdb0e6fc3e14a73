import {
  assertInteger,
  assertKnownKeys,
  assertNumber,
  assertObject,
  assertString,
  type Event,
  EventEmitter,
  INSTANCE_LIMITS,
  InvalidArgumentError,
  type Logger,
  silentLogger,
  SwitchyardError,
  sleep,
  withDefaults,
} from '@switchyard/core';
import type { CanaryRecord, Registry } from '@switchyard/registry';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Discovery } from '../discovery.js';
import { LATENCY_BUCKETS_MS, latencyQuantile, outcomeDelta, type VersionOutcome } from './version-outcomes.js';

/** Options for {@link createCanaryController}. */
export interface CanaryOptions {
  /** Where the route rule is written. */
  registry: Registry;
  /** A discovery of the service whose calls are judged (its lease outcomes are the evidence). */
  discovery: Discovery;
  /** The version in production. */
  stable: string;
  /** The version being released. */
  canary: string;
  /** Canary percentages to go through while it stays healthy. @default [5, 25, 50, 100] */
  steps?: number[];
  /** Length of one analysis window (and of each step). @default 30_000 */
  windowMs?: number;
  /**
   * Canary calls needed in a window before it is judged; a window with fewer is held and goes on
   * into the next (its calls kept) until they add up to this many. A canary short of them because
   * outlier detection ejected its instances in the window (it took under half the calls its share
   * should have brought, that share being at least this many) is rolled back. @default 50
   */
  minCalls?: number;
  /** Error-rate increase (absolute) over stable that fails the canary, if also significant. @default 0.02 */
  maxErrorRateIncrease?: number;
  /** One-sided z-score above which the error-rate difference counts as real (2.33 ≈ p 0.01). @default 2.33 */
  significanceZ?: number;
  /** Canary p95 latency over stable p95 that fails it. @default 1.5 */
  maxLatencyRatio?: number;
  /** @default silentLogger */
  logger?: Logger;
  /**
   * Starts again, from the first step, a release the registry's canary record says was rolled back
   * (or completed). Without it, start() refuses such a release: a retried deploy job must not put a
   * canary that failed back in front of users. Set it only when an operator decides to try the same
   * version again. @default false
   */
  retry?: boolean;
  /**
   * Who this controller is in the canary record (logs and refusals name it). A controller started
   * again under the same owner takes its record over at once, whatever its lease.
   * @default `<hostname>/<pid>/<random>`
   */
  owner?: string;
  /**
   * How long the controller's hold on the service's canary record lasts without being renewed (it
   * renews it every third of this): a controller that crashed stops holding the service this long
   * after. Integer 300..3_600_000. @default 30_000
   */
  leaseMs?: number;
}

/** Defaults of {@link CanaryOptions}. */
export const DEFAULT_CANARY_OPTIONS: Readonly<
  Required<
    Pick<CanaryOptions, 'windowMs' | 'minCalls' | 'maxErrorRateIncrease' | 'significanceZ' | 'maxLatencyRatio'>
  > & { steps: readonly number[] }
> = Object.freeze({
  steps: Object.freeze([5, 25, 50, 100]),
  windowMs: 30_000,
  minCalls: 50,
  maxErrorRateIncrease: 0.02,
  significanceZ: 2.33,
  maxLatencyRatio: 1.5,
});

/** A canary that takes less than this share of the calls its split should send it fails. */
const SHORTFALL_RATIO = 0.5;
/** How soon a rollback the registry refused is written again. */
const ROLLBACK_RETRY_MS = 1_000;
/**
 * Tries of a route write the registry aborted (the service changed during its check; nothing was
 * written). It already tried 5 times itself, so a few more here, then the failure is the caller's.
 */
const ABORTED_WRITE_TRIES = 3;
/** How long a controller's hold on the canary record lasts unrenewed (see CanaryOptions.leaseMs). */
const DEFAULT_LEASE_MS = 30_000;
/** Evaluations in a row with no live canary instance after which the canary is rolled back. */
const WINDOWS_WITHOUT_CANARY = 2;
/**
 * How long stop() waits at most for a write under way and a rollback not yet written: long enough
 * for a write through a few command timeouts and retries, short enough for a shutdown's grace period.
 */
const STOP_TIMEOUT_MS = 5_000;

type Thresholds = Pick<typeof DEFAULT_CANARY_OPTIONS, 'maxErrorRateIncrease' | 'significanceZ' | 'maxLatencyRatio'>;
type Summary = CanaryDecision['stable'];
/** A rule's splits as read, or NO_RULE when none was stored (what a conditional write expects). */
type Splits = Readonly<Record<string, number>> | typeof NO_RULE;
const NO_RULE = Symbol('no rule');

/** One judgement of a window. */
export interface CanaryDecision {
  /**
   * `promote`: on to the next step's share; `rollback`: the canary is sent nothing; `hold`: no change
   * (too few calls, not running…); `complete`: healthy at the last step, the release is done and
   * judging stops.
   */
  action: 'promote' | 'rollback' | 'hold' | 'complete';
  /** The canary percent after the decision. */
  percent: number;
  /** Why, in words (for logs and the rollback's record). */
  reason: string;
  /** The stable version over the window judged: calls, error rate (0..1), p95 latency (ms). */
  stable: { calls: number; errorRate: number; p95Ms: number };
  /** The canary over the same window. */
  canary: { calls: number; errorRate: number; p95Ms: number };
}

/** A running canary release. */
export interface CanaryController {
  /**
   * Claims the service's canary record in the registry, sets the step and starts judging windows.
   * The record makes a release outlive its controller (as Argo Rollouts or Flagger keep theirs):
   * - no record, or one of another release that nobody holds: the first step;
   * - this release (same canary and stable) running: resumed at the share its rule holds now
   *   (a controller restarted mid-rollout, a deploy job retried), not dropped back to the first step;
   * - this canary rolled back: rejects with FAILED_PRECONDITION naming the version, when and why,
   *   and writes nothing, unless `retry: true` (then the first step); a rule found sending the
   *   canary nothing when it would resume counts as a rollback too;
   * - this release complete: resolves with state `promoted`, writing nothing (unless `retry`);
   * - a release held by another controller whose hold (`leaseMs`, renewed while it runs, given up
   *   by its stop()) has not run out: rejects with FAILED_PRECONDITION naming it, writing nothing;
   * - this release running under a rule someone else changed since: rejects, writing nothing.
   * The claim is a conditional write, so of two controllers starting at once one is refused. A
   * controller whose record is changed by someone else while it runs stops (state `stopped`).
   */
  start(): Promise<void>;
  /**
   * Stops judging (the current rule stays, and the canary record with it, no longer held: a
   * controller started again resumes the release at once). Resolves once the controller writes nothing more: a
   * write under way (the first rule, a step) has ended, and a rollback it decided but has not
   * written yet (its write slow, or refused and waiting to be tried again) is written, tried again
   * until `timeoutMs` (default 5 s) has passed. A rollback still not written then is logged as an
   * error (the canary keeps its share until someone rolls it back) and stop() resolves all the
   * same: it rejects only for an invalid `timeoutMs`, stopping nothing.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * `idle` until `start()`; `running`; then `rolled-back`, `promoted` (healthy at the last step, or
   * found complete by `start()`) or `stopped` (by `stop()`, or when someone else changed its record or its route rule).
   */
  readonly state: 'idle' | 'running' | 'rolled-back' | 'promoted' | 'stopped';
  /** The canary's share (0..100) as last written. */
  readonly percent: number;
  /** Every judgement of a window, hold included. A listener that throws is logged and ignored. */
  readonly onDecision: Event<CanaryDecision>;
  /**
   * Judges the window that ends now (the timer calls this; tests may too). One evaluation runs at
   * a time: a call while one runs joins it (the same decision), and a timer tick is skipped (logged
   * at debug; its window goes on into the next tick's).
   */
  evaluate(): Promise<CanaryDecision>;
}

/**
 * Automatic canary analysis: every window it compares the canary's error rate and p95 latency with
 * the stable version's, from the outcomes discovery already records. Significantly worse → the
 * canary's weight goes to 0 in the registry (every client follows within a push), an event is
 * emitted and the reason logged. Healthy → the next step (5 % → 25 % → 50 % → 100 %). Too few
 * canary calls to judge → held, the window going on into the next (its calls kept), unless
 * outlier detection ejected its instances (a failing canary) or none of them has been live at two
 * evaluations in a row (a crashed or removed canary): both are rolled back. Stable itself failing
 * significantly more than in its last window (an outage both versions share) → held, not promoted.
 * A rollback the registry refuses is kept and written again soon (stop() writes it before it
 * resolves). Evaluations never overlap, however slow a route write. A rule someone
 * else changed since the controller's last step is never promoted over: the controller stops; a
 * rollback then moves only the canary's share out of that rule (to a version it routes to). A write
 * the registry aborted (the service changed during its check) is tried again at once. When stable took too few calls in
 * a window to compare with (none at all at 100 %), the canary is judged against stable's last
 * window that had enough, or its record before the release; with neither, the window is held.
 * The release's state is kept in the registry's canary record (see {@link CanaryController.start}),
 * so a controller started again resumes it, refuses a canary rolled back, and does not run over
 * another controller's release.
 *
 * Nothing is written until `start()`.
 *
 * @throws InvalidArgumentError naming the option: an unknown one, a missing `registry` or
 * `discovery`, versions that are malformed or the same, steps or thresholds out of range.
 * @example
 * ```ts
 * const canary = createCanaryController({ registry, discovery, stable: '1.4.0', canary: '1.5.0' });
 * canary.onDecision((decision) => log.info(decision, 'canary'));
 * await canary.start(); // 5 % now, then 25 %, 50 %, 100 % while it stays healthy
 * ```
 */
export function createCanaryController(options: CanaryOptions): CanaryController {
  assertObject('options', options);
  assertKnownKeys('options', options as unknown as Record<string, unknown>, [
    'registry',
    'discovery',
    'stable',
    'canary',
    'steps',
    'windowMs',
    'minCalls',
    'maxErrorRateIncrease',
    'significanceZ',
    'maxLatencyRatio',
    'logger',
    'retry',
    'owner',
    'leaseMs',
  ]);
  // Checked up front: a missing discovery threw a TypeError here naming nothing, and a missing
  // registry only at start(), as a TypeError from the first route write.
  if (typeof (options.registry as { setRoute?: unknown } | undefined)?.setRoute !== 'function') {
    throw new InvalidArgumentError('registry', 'must be a Registry (e.g. createRegistry(url))');
  }
  // The release's state lives in the registry (see start()): a registry written before canary
  // records existed cannot keep it, and a controller without it forgot rollbacks on restart.
  const { getCanary, setCanary } = options.registry;
  if (typeof getCanary !== 'function' || typeof setCanary !== 'function') {
    throw new InvalidArgumentError(
      'registry',
      'must keep canary records (getCanary/setCanary, as MemoryRegistry and RedisRegistry do)',
    );
  }
  const readRecord = getCanary.bind(options.registry);
  const storeRecord = setCanary.bind(options.registry);
  const given = options.discovery as Partial<Discovery> | undefined;
  if (
    typeof given?.service !== 'string' ||
    typeof given.versionOutcomes !== 'function' ||
    typeof given.instances !== 'function' ||
    typeof given.onChange !== 'function' ||
    typeof given.onEjection !== 'function'
  ) {
    throw new InvalidArgumentError('discovery', 'must be a Discovery of the service (createDiscovery(…))');
  }
  const config = withDefaults(DEFAULT_CANARY_OPTIONS, options);
  assertString('stable', config.stable, INSTANCE_LIMITS.versionPattern, INSTANCE_LIMITS.versionRule);
  assertString('canary', config.canary, INSTANCE_LIMITS.versionPattern, INSTANCE_LIMITS.versionRule);
  if (config.stable === config.canary) throw new InvalidArgumentError('canary', 'must differ from stable');
  if (!Array.isArray(config.steps) || config.steps.length === 0)
    throw new InvalidArgumentError('steps', 'must be a non-empty array of percents');
  config.steps.forEach((step, index) => {
    assertInteger(`steps[${index}]`, step, 1, 100);
    if (index > 0 && step <= (config.steps[index - 1] as number))
      throw new InvalidArgumentError(`steps[${index}]`, 'must increase');
  });
  assertInteger('windowMs', config.windowMs, 100, 86_400_000);
  assertInteger('minCalls', config.minCalls, 1, 10_000_000);
  assertNumber('maxErrorRateIncrease', config.maxErrorRateIncrease, 0, 1);
  assertNumber('significanceZ', config.significanceZ, 0, 10);
  assertNumber('maxLatencyRatio', config.maxLatencyRatio, 1, 1_000);
  if (options.retry !== undefined && typeof options.retry !== 'boolean')
    throw new InvalidArgumentError('retry', 'must be a boolean');
  const owner = options.owner ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > 256)
    throw new InvalidArgumentError('owner', 'must be a string of 1..256 characters');
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  assertInteger('leaseMs', leaseMs, 300, 3_600_000);
  const logger = config.logger ?? silentLogger;
  // A listener that throws (a rollback notifier) is logged, not dropped without a word.
  const decided = new EventEmitter<CanaryDecision>((error) =>
    logger.error({ err: error, service: options.discovery.service }, 'canary decision listener failed'),
  );
  const service = options.discovery.service;
  let state: CanaryController['state'] = 'idle';
  let stepIndex = 0;
  let percent = 0;
  /**
   * The share being written, kept when its write fails: a write whose reply was lost (a timeout
   * after Redis ran it) may have landed, and the rule is then still this controller's (see isOurs).
   */
  let attempted: number | undefined;
  /**
   * What the canary is judged against when stable took too few calls in the window to compare
   * with: its last window with at least `minCalls` calls, else its record before the release. At
   * 100 % stable takes no calls at all: compared with nothing, a canary failing 90 % of its calls
   * was judged healthy and the release marked complete.
   */
  let stableReference: VersionOutcome | undefined;
  /** Bumped by start() and stop(): an evaluation begun before does not promote after it. */
  let generation = 0;
  let timer: NodeJS.Timeout | undefined;
  /** A rollback decided but not yet written (its write is under way, or the registry refused it). */
  let pendingRollback: { reason: string; stable: Summary; canary: Summary } | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  /**
   * Where the window being judged starts: the outcomes at the last evaluation that judged one. A
   * window held for too little evidence goes on into the next (see judgeWindow).
   */
  let baseline = options.discovery.versionOutcomes();
  /** The outcomes at the last evaluation, judged or not: where this tick's calls start. */
  let lastTick = baseline;
  // Canary instances outlier detection ejected during the current window: the evidence that a
  // canary with too few calls to judge by rate could not take its share (see evaluate).
  const canaryIds = new Set<string>();
  let ejectedThisWindow = 0;
  // Evaluations in a row that found no live instance of the canary version.
  let windowsWithoutCanary = 0;
  const remember = (instances: readonly { id: string; version?: string | undefined }[]): void => {
    for (const instance of instances) if (instance.version === config.canary) canaryIds.add(instance.id);
  };
  let watching: { dispose(): void }[] = [];
  const watch = (): void => {
    remember(options.discovery.instances());
    watching = [
      options.discovery.onChange(remember),
      options.discovery.onEjection((event) => {
        if (canaryIds.has(event.id)) ejectedThisWindow++;
      }),
    ];
  };

  /**
   * The service's canary record as this controller last read or wrote it: where the release stands,
   * kept in the registry so that it outlives this process (see start()). Every write is conditional
   * on its revision, so a record someone else wrote since (another controller that took the service
   * over once this one's lease ran out, an operator who cleared it) is never written over.
   */
  let record: CanaryRecord | undefined;
  /** Record writes, one at a time (a renewal and a step's write would race for the revision). */
  let recordWrites: Promise<unknown> = Promise.resolve();
  let renewTimer: NodeJS.Timeout | undefined;
  /**
   * Writes this controller's record: `state` and `reason` as given, the canary at `percent` (the
   * current share unless given), the owner's lease for `lease` ms (0 lets the record go). With
   * `ifHeld`, only while the record is still this controller's running release (a renewal queued
   * before a rollback or a stop must not write `running` over them).
   */
  const writeRecord = (
    fields: { state: CanaryRecord['state']; reason?: string; percent?: number },
    lease = leaseMs,
    ifHeld = false,
  ): Promise<void> => {
    const write = recordWrites.then(async () => {
      if (ifHeld && (record?.owner !== owner || record.state !== 'running')) return;
      record = await storeRecord(
        service,
        {
          canary: config.canary,
          stable: config.stable,
          percent: fields.percent ?? percent,
          state: fields.state,
          reason: (fields.reason ?? '').slice(0, 1024),
          owner,
          leaseMs: lease,
        },
        { expected: record?.revision ?? null },
      );
    });
    recordWrites = write.catch(() => undefined);
    return write;
  };
  /**
   * A record write refused because the record changed under this controller: someone else holds
   * the service now (a controller that took it over after this one's lease ran out, say through a
   * Redis outage, or an operator who cleared the record). Judging on would run two releases over
   * each other: this one stops (the rule stays), as when the route is changed outside it.
   */
  const lostRecord = (error: unknown): boolean => {
    if (!SwitchyardError.hasCode(error, 'FAILED_PRECONDITION')) return false;
    logger.error(
      { err: error, service, version: config.canary, owner },
      `canary ${config.canary}: the service's canary record was changed by someone else; this controller stops`,
    );
    if (state === 'running') {
      generation++;
      state = 'stopped';
      stopTimer();
    }
    return true;
  };
  /** Writes the record without failing the caller: one not written is written by the next renewal. */
  const noteRecord = async (
    fields: { state: CanaryRecord['state']; reason?: string },
    lease = leaseMs,
    ifHeld = false,
  ): Promise<void> => {
    try {
      await writeRecord(fields, lease, ifHeld);
    } catch (error) {
      if (!lostRecord(error))
        logger.warn({ err: error, service, owner }, `canary ${config.canary}: canary record not written`);
    }
  };
  /** Lets the record go (lease 0) if this controller still runs it, so a successor need not wait. */
  const releaseRecord = (): Promise<void> => noteRecord({ state: 'running' }, 0, true);
  /** Renews the hold every third of the lease while running (each renewal awaited before the next). */
  const renewEvery = (): void => {
    renewTimer = setTimeout(
      async () => {
        // Renewed while a rollback waits to be written too: left to lapse (an outage retried for
        // up to 31 s, a refused rule for a window), the record read `running` with no hold, and a
        // retried deploy job resumed the canary this controller was rolling back. (A renewal never
        // writes over a recorded rollback: noteRecord's ifHeld.)
        if (state === 'running') await noteRecord({ state: 'running' }, leaseMs, true);
        if (renewTimer !== undefined && state === 'running') renewEvery();
      },
      Math.floor(leaseMs / 3),
    );
    renewTimer.unref();
  };

  /** The canary's share in `splits` when they are exactly this release's (stable and canary only). */
  const shareIn = (splits: Readonly<Record<string, number>> | undefined): number | undefined =>
    splits !== undefined &&
    Object.keys(splits).length === 2 &&
    splits[config.canary] !== undefined &&
    splits[config.stable] === 100 - (splits[config.canary] as number)
      ? splits[config.canary]
      : undefined;
  const refuse = (message: string): SwitchyardError =>
    new SwitchyardError('FAILED_PRECONDITION', `${service}: ${message}`, { retryable: false });

  /**
   * Reads the service's canary record and decides how this start goes, as Argo Rollouts or Flagger
   * would: a release rolled back stays so until an operator retries it (`retry`); a release running
   * resumes at its step (a controller restarted mid-rollout, or a deploy job retried, used to drop
   * it back to the first step); a release held by another live controller is refused (two used to
   * overwrite each other's rule, and the first's canary was later "rolled back" for having no live
   * instance). The claim is a conditional write of the record, so of two controllers starting at
   * once one wins and the other is refused. Returns the share to resume at, 'complete' for a release
   * already fully promoted, or undefined to start from the first step.
   */
  let previous: CanaryRecord | undefined;
  /**
   * Puts back the record claim() found (none: clears it), once a fresh start's first step could not
   * be written: left `running`, the release that never started would have been taken for one whose
   * rule someone changed, and a start tried again refused.
   */
  const restoreRecord = async (): Promise<void> => {
    const before = previous;
    const write = recordWrites.then(async () => {
      const expected = { expected: record?.revision ?? null };
      record =
        before === undefined
          ? await storeRecord(service, undefined, expected)
          : await storeRecord(
              service,
              {
                canary: before.canary,
                stable: before.stable,
                percent: before.percent,
                state: before.state,
                reason: before.reason,
                owner: before.owner,
                leaseMs: 0,
              },
              expected,
            );
    });
    recordWrites = write.catch(() => undefined);
    await write.catch((error: unknown) =>
      logger.warn({ err: error, service, owner }, `canary ${config.canary}: canary record not put back`),
    );
  };
  const claim = async (): Promise<number | 'complete' | undefined> => {
    const found = await readRecord(service);
    record = found;
    previous = found;
    const retry = options.retry === true;
    if (found !== undefined && found.owner !== owner && found.ownerLeaseMs > 0 && found.state === 'running') {
      throw refuse(
        `canary ${found.canary} (against ${found.stable}, at ${found.percent} %) is being released by ${found.owner}, whose hold runs ${found.ownerLeaseMs} ms more; not started (stop that controller, or start again once its hold has run out)`,
      );
    }
    const same = found !== undefined && found.canary === config.canary && found.stable === config.stable;
    if (found?.canary === config.canary && found.state === 'rolled-back' && !retry) {
      throw refuse(
        `canary ${config.canary} was rolled back at ${new Date(found.updatedAt).toISOString()} (${found.reason || 'no reason recorded'}); not started again: pass retry: true to release it again from the first step`,
      );
    }
    if (same && found?.state === 'complete' && !retry) return 'complete';
    if (!same || found?.state !== 'running') return undefined;
    // Resuming: the rule is what users see, so it says where the release stands (a step written
    // just before the previous controller died is newer than its record).
    const stored = (await options.registry.getRoute(service))?.splits;
    const share = shareIn(stored);
    if (share === 0) {
      // Rolled back by a controller that died before recording it, or by hand: never undone here.
      const reason = `its rule sent it nothing when a controller resumed it (${JSON.stringify(stored)})`;
      if (!retry) {
        await writeRecord({ state: 'rolled-back', percent: 0, reason }, 0).catch((error: unknown) =>
          logger.warn({ err: error, service }, `canary ${config.canary}: canary record not written`),
        );
        throw refuse(
          `canary ${config.canary} was rolled back (${reason}); not started again: pass retry: true to release it again from the first step`,
        );
      }
      return undefined;
    }
    if (stored !== undefined && share === undefined) {
      throw refuse(
        `canary ${config.canary} was running at ${found.percent} %, but the route was changed outside the controller since (now ${JSON.stringify(stored)}); not resumed over it (set the route back, or clear the canary record to start afresh)`,
      );
    }
    // No rule at all (Redis lost it): the recorded share is written back (none recorded: afresh).
    return share ?? (found.percent > 0 ? found.percent : undefined);
  };

  /**
   * Writes a rule, written again at once when the registry aborted it (ABORTED: the service kept
   * changing while the rule was checked, and nothing was written). Failing on the first one made
   * start() reject during a rollout of the very instances being routed, and delayed a step or a
   * rollback by a window (1 s for a rollback) for a conflict the next round trip usually clears.
   */
  const writeRoute = async (splits: Record<string, number>, over?: Splits): Promise<void> => {
    const conditional = over === undefined ? undefined : { expected: over === NO_RULE ? null : { splits: over } };
    for (let tries = 1; ; tries++) {
      try {
        await options.registry.setRoute(service, { splits }, conditional);
        return;
      } catch (error) {
        if (tries >= ABORTED_WRITE_TRIES || !SwitchyardError.hasCode(error, 'ABORTED')) throw error;
      }
    }
  };
  /**
   * Writes stable / canary at `next` %: with `over`, only if the stored rule is still that one (as
   * read when the step was decided), so a rule someone changed in between (an operator's
   * `switchyard route set`) is never overwritten; FAILED_PRECONDITION then, nothing written.
   */
  const setPercent = async (next: number, over?: Splits): Promise<void> => {
    attempted = next;
    try {
      await writeRoute({ [config.stable]: 100 - next, [config.canary]: next }, over);
    } catch (error) {
      // Refused for certain: nothing of this step can have landed.
      if (SwitchyardError.hasCode(error, 'FAILED_PRECONDITION')) attempted = undefined;
      throw error;
    }
    percent = next;
    attempted = undefined;
  };
  /** Whether `splits` is exactly this controller's rule at `share` %. */
  const splitsAt = (splits: Readonly<Record<string, number>> | undefined, share: number): boolean =>
    splits !== undefined &&
    Object.keys(splits).length === 2 &&
    splits[config.stable] === 100 - share &&
    splits[config.canary] === share;
  /**
   * Whether a stored rule is still the one this controller last wrote. An operator who aborted
   * the release by hand (`switchyard route set … 1.5.0=0`), or another controller that rolled it
   * back, must not be overridden by this one's next step. Not atomic with the write that follows
   * (the registry has no compare-and-set), but it shrinks the race from a window to a round trip.
   */
  const isOurs = (splits: Readonly<Record<string, number>> | undefined): boolean =>
    splitsAt(splits, percent) || (attempted !== undefined && splitsAt(splits, attempted));
  /**
   * Takes the canary's traffic back under a rule that is not this controller's (an operator's, or
   * one written since): only the canary's share moves, to stable when the rule sends it traffic, else
   * to the rule's largest other version with a share. Rolling back by writing stable 100 / canary 0
   * over it took all traffic from whatever the operator had moved it to (a newer version, another
   * canary). A stable the rule names at 0 % was taken out by the operator (often retired): handing it
   * the canary's share put traffic back on it, and once its instances had gone the registry refused
   * the rollback (no live instance runs it), leaving the failing canary its share for good.
   */
  const withoutCanary = (splits: Readonly<Record<string, number>>): Record<string, number> => {
    const others = Object.entries(splits).filter(([version, share]) => version !== config.canary && share > 0);
    // With no other version routed (the rule sends everything to the canary), stable is all there is.
    const recipient =
      (splits[config.stable] ?? 0) > 0
        ? config.stable
        : (others.sort(([, a], [, b]) => b - a)[0]?.[0] ?? config.stable);
    return {
      ...splits,
      [recipient]: (splits[recipient] ?? 0) + (splits[config.canary] ?? 0),
      [config.canary]: 0,
    };
  };
  /**
   * Writes the pending rollback: stable 100 / canary 0 over this controller's rule (or none), only
   * the canary's share out of someone else's (see withoutCanary), nothing over a rule that sends the
   * canary nothing or when it has no instance left. Kept pending when the write fails.
   */
  const writeRollback = async (canaryGone: boolean): Promise<void> => {
    for (let tries = 1; ; tries++) {
      const stored = (await options.registry.getRoute(service))?.splits;
      // Written only over the rule just read: one changed in between (an operator moving traffic
      // elsewhere) was overwritten by a rollback decided on the rule before it.
      const over = stored ?? NO_RULE;
      try {
        if (isOurs(stored) || (stored === undefined && !canaryGone)) {
          await setPercent(0, over);
        } else if (stored !== undefined && !canaryGone && (stored[config.canary] ?? 0) > 0) {
          await writeRoute(withoutCanary(stored), over);
          percent = 0;
        } else {
          // The rule is someone else's and sends the canary nothing (or it has no instance left to
          // send anything to): there is nothing to take back, and nothing of theirs to undo. The
          // canary is at 0 % all the same: left at its last step, the decision and `percent`
          // reported it still exposed.
          percent = 0;
        }
        break;
      } catch (error) {
        // The rule changed between the read and the write: decide again on the one there now.
        if (tries >= ABORTED_WRITE_TRIES || !SwitchyardError.hasCode(error, 'FAILED_PRECONDITION')) throw error;
      }
    }
    // Recorded before the rollback counts as written: a controller started again for this release
    // (a retried deploy job) then refuses it rather than put the failed canary back at its first
    // step. A record write that fails keeps the rollback pending: it is written again, rule and all.
    try {
      await writeRecord({ state: 'rolled-back', percent: 0, reason: pendingRollback?.reason ?? '' }, 0);
    } catch (error) {
      // Someone else holds the record now: the rollback of the rule stands; theirs is their own.
      if (!lostRecord(error)) throw error;
    }
    pendingRollback = undefined;
  };

  /**
   * The evaluation under way. Two side by side (a tick while a slow write was pending) both read
   * the rule before either wrote it: the same step was written twice and counted twice, or a step
   * and a rollback landed in either order.
   */
  let evaluating: Promise<CanaryDecision> | undefined;
  const evaluate = (): Promise<CanaryDecision> => {
    evaluating ??= judgeWindow().finally(() => {
      evaluating = undefined;
    });
    return evaluating;
  };

  const judgeWindow = async (): Promise<CanaryDecision> => {
    const ownGeneration = generation;
    const now = options.discovery.versionOutcomes();
    const stableWindow = outcomeDelta(now.get(config.stable), baseline.get(config.stable));
    const canaryWindow = outcomeDelta(now.get(config.canary), baseline.get(config.canary));
    const stable = summary(stableWindow);
    const canary = summary(canaryWindow);
    // This tick's calls alone: what the shortfall check below compares (see expectedCanaryCalls).
    const tickStableCalls = outcomeDelta(now.get(config.stable), lastTick.get(config.stable)).calls;
    const tickCanaryCalls = outcomeDelta(now.get(config.canary), lastTick.get(config.canary)).calls;
    const windowStart = baseline;
    baseline = now;
    lastTick = now;
    /**
     * A window held for too little evidence is not dropped: it goes on into the next, as a skipped
     * tick's does. Dropped, a canary on a quiet service (6 canary calls a window, 4 of them failing,
     * `minCalls` 10) was held at its share for good, each window too small to judge on its own, the
     * failures of every window before it forgotten.
     */
    const carryOver = (): void => {
      baseline = windowStart;
    };
    const decide = (action: CanaryDecision['action'], reason: string): CanaryDecision => ({
      action,
      percent,
      reason,
      stable,
      canary,
    });
    /** Stops for good, leaving the rule to whoever changed it: a promotion never goes over it. */
    const yieldRoute = (what: string): CanaryDecision => {
      state = 'stopped';
      stopTimer();
      // The record stays `running` (a controller started again refuses to resume over the rule
      // someone else wrote), but no longer held: nobody need wait out this one's lease.
      void releaseRecord();
      const decision = decide(
        'hold',
        `the route was changed outside this controller (${what}); stopped without promoting`,
      );
      logger.warn({ service, version: config.canary, decision }, `canary ${config.canary}: ${decision.reason}`);
      return decision;
    };
    const rollback = async (failure: string, canaryGone = false): Promise<CanaryDecision> => {
      // Kept until written: a rollback the registry refused (Redis down at the window's end) was
      // forgotten with its window, and the failing canary kept its share until a later window
      // proved it bad again, which one with too few calls never does. Retried soon (see begin),
      // and by stop() (see settle).
      pendingRollback = { reason: failure, stable, canary };
      await writeRollback(canaryGone);
      if (generation === ownGeneration) {
        state = 'rolled-back';
        stopTimer();
      } else if (state === 'stopped') {
        // stop() while it was written: the release is rolled back all the same.
        state = 'rolled-back';
      }
      const decision = decide('rollback', failure);
      logger.warn({ service, version: config.canary, decision }, `canary ${config.canary} rolled back: ${failure}`);
      return decision;
    };
    let decision: CanaryDecision;
    // What the split should have sent the canary: far fewer calls than that means its instances
    // could not take them (outlier detection ejected them, they are failing or gone), which a
    // plain call count would read as "too few calls to judge", holding the canary for good.
    // Judged on this tick's calls, not on a window carried over: a canary that took nothing while
    // it warmed up (registered draining) is no shortfall once it is up.
    const expectedCanaryCalls = ((tickStableCalls + tickCanaryCalls) * percent) / 100;
    const ejected = ejectedThisWindow;
    ejectedThisWindow = 0;
    // A canary whose instances have all left (crashed, scaled away) has no calls to judge: counted
    // as too few, it was held at its share for good. Gone at two evaluations in a row (one could
    // fall while its only instance restarts), it is rolled back.
    const canaryLive = options.discovery.instances().some((instance) => instance.version === config.canary);
    windowsWithoutCanary = canaryLive ? 0 : windowsWithoutCanary + 1;
    const reference = stableWindow.calls >= config.minCalls ? stableWindow : stableReference;
    // Stable itself failing significantly more than in its last window (an outage of a dependency
    // both versions share): the canary failing as much is no evidence that it is healthy. Judged
    // against stable alone, a canary failing every call was promoted ("healthy over 50 calls")
    // beside a stable failing every call, and marked complete a few windows into the outage. Such
    // a window is not stable's new reference either, or the next window of the outage would pass.
    const stableFailing =
      stableWindow.calls >= config.minCalls && stableReference !== undefined
        ? errorRateExcess(stableReference, stableWindow, config)
        : undefined;
    if (stableWindow.calls >= config.minCalls && stableFailing === undefined) stableReference = stableWindow;
    if (state !== 'running') decision = decide('hold', `not running (${state})`);
    else if (pendingRollback !== undefined) decision = await rollback(pendingRollback.reason);
    else if (windowsWithoutCanary >= WINDOWS_WITHOUT_CANARY) {
      decision = await rollback(
        `no live instance of version ${config.canary} at ${windowsWithoutCanary} evaluations in a row`,
        true,
      );
    } else if (canary.calls < config.minCalls) {
      // Short of calls *because* outlier detection ejected canary instances: a failing canary.
      // Short for any other reason (still warming up, calls on an A/B track the split does not
      // route, few calls overall) is only too little to judge.
      if (
        ejected > 0 &&
        expectedCanaryCalls >= config.minCalls &&
        tickCanaryCalls < expectedCanaryCalls * SHORTFALL_RATIO
      ) {
        decision = await rollback(
          `outlier detection ejected canary instances ${ejected} time(s) and the canary took ${tickCanaryCalls} calls where its ${percent} % share was ${Math.round(expectedCanaryCalls)}`,
        );
      } else {
        carryOver();
        decision = decide(
          'hold',
          `only ${canary.calls} canary calls in the window (need ${config.minCalls}); it goes on into the next`,
        );
      }
    } else if (reference === undefined) {
      carryOver();
      decision = decide(
        'hold',
        `stable took ${stable.calls} calls in the window and had no earlier window to compare with (need ${config.minCalls}); it goes on into the next`,
      );
    } else {
      const failure = judge(reference, canaryWindow, config);
      // Read only to promote: a rollback reads the rule itself, and a window held reads nothing.
      const stored =
        failure !== undefined || stableFailing !== undefined
          ? undefined
          : (await options.registry.getRoute(service))?.splits;
      const againstEarlier =
        reference === stableWindow
          ? ''
          : ` (against stable's earlier ${reference.calls} calls: it took ${stable.calls} in this window)`;
      if (failure) {
        // Worse than stable even while stable fails: the canary's own fault as well.
        decision = await rollback(`${failure}${againstEarlier}`);
      } else if (stableFailing !== undefined) {
        decision = decide(
          'hold',
          `stable itself is failing (${stableFailing} against its earlier window): the window says nothing of the canary's health`,
        );
        logger.warn({ service, version: config.canary, decision }, `canary ${config.canary}: ${decision.reason}`);
      } else if (generation !== ownGeneration || state !== 'running') {
        // stop() (and perhaps start() again) while the rule was read: this run promotes nothing.
        decision = decide('hold', `stopped while the window was judged (${state})`);
      } else if (attempted !== undefined && attempted > 0 && splitsAt(stored, attempted)) {
        // The last step's write reported a failure but landed (its reply was lost): the rule is
        // ours at that step. Taken as written; this window ran partly at the old share, so the next
        // one is judged before going further.
        percent = attempted;
        stepIndex = Math.max(0, config.steps.indexOf(attempted));
        attempted = undefined;
        decision = decide('hold', `the ${percent} % step was written although its write reported a failure`);
      } else if (!isOurs(stored)) {
        // A rollback above is written whatever the rule, as far as the canary's own share goes: it
        // is the safe direction. A promotion yields: someone else now owns the rule.
        decision = yieldRoute(`now ${stored ? JSON.stringify(stored) : 'none'}`);
      } else if (stepIndex + 1 < config.steps.length) {
        // The step counts only once its share is written: a failed write is retried from the same step.
        const next = stepIndex + 1;
        try {
          await setPercent(config.steps[next] as number, stored ?? NO_RULE);
          stepIndex = next;
          // No new hold once stop() has let the record go (a promotion slower than its timeoutMs):
          // it took the lease again for a controller that was no longer running, and a successor was
          // refused for leaseMs.
          await noteRecord({ state: 'running' }, state === 'running' ? leaseMs : 0, true);
          decision = decide('promote', `healthy over ${canary.calls} calls${againstEarlier}`);
          logger.info({ service, percent }, `canary ${config.canary} promoted to ${percent} %`);
        } catch (error) {
          // Changed between the read above and the write: the check and the write are one step in
          // the registry, so an operator's rule set in that gap is not written over either.
          if (!SwitchyardError.hasCode(error, 'FAILED_PRECONDITION')) throw error;
          decision = yieldRoute(`while the ${config.steps[next]} % step was written`);
        }
      } else {
        state = 'promoted';
        stopTimer();
        await noteRecord({ state: 'complete' }, 0, true);
        decision = decide('complete', `healthy at ${percent} % over ${canary.calls} calls${againstEarlier}`);
        logger.info({ service }, `canary ${config.canary} fully promoted`);
      }
    }
    decided.emit(decision);
    return decision;
  };

  const stopTimer = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = undefined;
    if (renewTimer) clearTimeout(renewTimer);
    renewTimer = undefined;
    for (const subscription of watching.splice(0)) subscription.dispose();
  };

  // stop() called while start() writes the first rule: honoured once the write is done (the
  // controller used to start judging anyway).
  let stopAsked = false;
  /** stop()'s wait for the writes under way and a pending rollback (see settle). */
  let stopping: Promise<void> | undefined;
  /** Timer ticks skipped because an evaluation was still running (logged with each skip). */
  let skippedTicks = 0;

  const begin = async (): Promise<void> => {
    generation++;
    stopAsked = false;
    // A write still under way from before (a judgement of the run stop() ended, or stop() writing
    // its rollback) ends first: it landed after this run's first rule, or moved this run's step
    // on after it was reset, and the first promotion then skipped a step.
    if (evaluating !== undefined || stopping !== undefined) {
      await Promise.allSettled([evaluating, stopping]);
      if (stopAsked) {
        state = 'stopped';
        return;
      }
    }
    stepIndex = 0;
    pendingRollback = undefined;
    attempted = undefined;
    // Stable's record before the release: what a canary is judged against until stable has had a
    // full window of its own (a release that starts at 100 % never gives it one).
    const before = options.discovery.versionOutcomes().get(config.stable);
    stableReference = before !== undefined && before.calls >= config.minCalls ? before : undefined;
    const resumeAt = await claim();
    if (resumeAt === 'complete') {
      percent = record?.percent ?? 100;
      state = 'promoted';
      logger.info({ service, owner }, `canary ${config.canary} was fully promoted already: nothing to do`);
      return;
    }
    // The step to go on from: the last one at or below the share resumed at (-1 below the first,
    // whose promotion is then the first step: the steps may have changed since the record).
    const resumeIndex = resumeAt === undefined ? 0 : config.steps.findLastIndex((step) => step <= resumeAt);
    const first = resumeAt ?? (config.steps[0] as number);
    await writeRecord({ state: 'running', percent: first }).catch(async (error: unknown) => {
      if (SwitchyardError.hasCode(error, 'FAILED_PRECONDITION')) {
        // No record was read (so none was expected), and there still is none to read: one is
        // stored that the registry cannot read (written by hand, or by another tool). Said as
        // another controller's claim, every start failed without saying what to repair.
        const unreadable = record === undefined && (await readRecord(service).catch(() => null)) === undefined;
        throw refuse(
          unreadable
            ? `${service}'s canary record cannot be read (written by hand or by another tool?); not started: remove it with switchyard canary clear ${service}`
            : // Another controller claimed the service between the read and this write.
              `another controller claimed the canary record meanwhile; not started (${(error as Error).message})`,
        );
      }
      throw error;
    });
    try {
      if (resumeAt === undefined) await setPercent(first);
      else if (shareIn((await options.registry.getRoute(service))?.splits) === resumeAt) percent = resumeAt;
      else await setPercent(resumeAt, NO_RULE);
    } catch (error) {
      if (resumeAt === undefined) await restoreRecord();
      else await releaseRecord();
      throw error;
    }
    stepIndex = resumeIndex;
    if (resumeAt !== undefined) {
      logger.info({ service, owner, percent }, `canary ${config.canary} resumed at ${percent} %`);
    }
    if (stopAsked) {
      // stop() came during the first write, and its timeoutMs passed before it: the hold this start
      // claimed is let go here (stop() could not, the claim not being done), or the record read
      // `running` under a live lease with nobody driving it, and a successor was refused.
      await releaseRecord();
      state = 'stopped';
      return;
    }
    baseline = options.discovery.versionOutcomes();
    lastTick = baseline;
    ejectedThisWindow = 0;
    windowsWithoutCanary = 0;
    watch();
    state = 'running';
    let retryMs = ROLLBACK_RETRY_MS;
    const run = (): void => {
      // One evaluation at a time: a tick while one runs (its route write slow) is skipped rather
      // than stacked. The window it would have closed goes on into the next tick's.
      if (evaluating !== undefined) {
        skippedTicks++;
        logger.debug({ service, skippedTicks }, `canary ${config.canary}: evaluation still running; tick skipped`);
        return;
      }
      evaluate().then(
        () => {
          retryMs = ROLLBACK_RETRY_MS;
        },
        (error: unknown) => {
          logger.error({ err: error, service }, 'canary evaluation failed; will try again');
          // A refused rollback is tried again soon (1 s, doubling up to a window), not a whole
          // window later; one the registry refuses as invalid (no live stable instance to send
          // the traffic back to) waits for the next window.
          if (pendingRollback === undefined || retryTimer !== undefined || state !== 'running') return;
          if (SwitchyardError.hasCode(error, 'INVALID_ARGUMENT')) return;
          retryTimer = setTimeout(
            () => {
              retryTimer = undefined;
              run();
            },
            Math.min(retryMs, config.windowMs),
          );
          retryTimer.unref();
          retryMs *= 2;
        },
      );
    };
    timer = setInterval(run, config.windowMs);
    timer.unref();
    renewEvery();
  };
  // A start in flight: a second start() joins it. Two started side by side (both saw 'idle' while
  // the first rule was written) made two timers and two sets of listeners, and stop() ended one.
  let starting: Promise<void> | undefined;

  /**
   * What stop() waits for, up to `timeoutMs`: the writes under way (start()'s first rule, an
   * evaluation's step or rollback) to end, then a rollback decided but not written (its write
   * failed and its retry was waiting) to be written, tried again until then. stop() used to return
   * at once: a shutdown closed the registry under the write, or the retry was dropped, and the
   * failing canary kept its share. A start() since gives up the wait (it waits for this in turn).
   */
  const settle = async (timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    const left = (): number => deadline - Date.now();
    await within(Promise.allSettled([starting, evaluating]), left());
    let retryMs = ROLLBACK_RETRY_MS;
    while (pendingRollback !== undefined && starting === undefined && left() > 0) {
      const rollback = pendingRollback;
      const outcome = await within(
        writeRollback(false).then(
          () => ({ error: undefined, written: true }),
          (error: unknown) => ({ error, written: false }),
        ),
        left(),
      );
      if (outcome?.written) {
        state = 'rolled-back';
        const decision: CanaryDecision = { action: 'rollback', percent, ...rollback };
        logger.warn(
          { service, version: config.canary, decision },
          `canary ${config.canary} rolled back on stop: ${rollback.reason}`,
        );
        decided.emit(decision);
        return;
      }
      // The deadline passed during the write, or the registry will not take it (no live stable
      // instance, a closed registry): trying again within the wait would not change that.
      if (outcome === undefined || (SwitchyardError.isInstance(outcome.error) && !outcome.error.retryable)) break;
      logger.warn({ err: outcome.error, service }, 'canary rollback refused on stop; will try again');
      await sleep(Math.max(0, Math.min(retryMs, left())));
      retryMs *= 2;
    }
    // The release stays recorded as it stands (running at its step): a controller started again
    // resumes it at once instead of waiting out this one's lease.
    if (starting === undefined) await within(releaseRecord(), left());
    if (pendingRollback !== undefined && starting === undefined) {
      logger.error(
        { service, version: config.canary, reason: pendingRollback.reason, percent },
        `canary ${config.canary} rollback not written before stop() gave up after ${timeoutMs} ms: it may keep its share`,
      );
    }
  };

  return {
    start() {
      if (state === 'running') return Promise.resolve();
      starting ??= begin().finally(() => {
        starting = undefined;
      });
      return starting;
    },
    stop(stopOptions) {
      const timeoutMs = stopOptions?.timeoutMs ?? STOP_TIMEOUT_MS;
      try {
        assertInteger('stop.timeoutMs', timeoutMs, 0, 600_000);
      } catch (error) {
        return Promise.reject(error);
      }
      generation++;
      if (starting) stopAsked = true;
      stopTimer();
      if (state === 'running') state = 'stopped';
      // A second stop() joins the first one's wait.
      stopping ??= settle(timeoutMs).finally(() => {
        stopping = undefined;
      });
      return stopping;
    },
    get state() {
      return state;
    },
    get percent() {
      return percent;
    },
    onDecision: decided.event,
    evaluate,
  };
}

/** `work`'s value, or undefined once `ms` have passed (the timer is cleared either way). */
async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function summary(outcome: VersionOutcome): Summary {
  return {
    calls: outcome.calls,
    errorRate: outcome.calls === 0 ? 0 : outcome.failures / outcome.calls,
    p95Ms: latencyQuantile(outcome, 0.95),
  };
}

/**
 * Why the canary is significantly worse, or undefined when it is not. Both criteria need the
 * difference to be real, not sampling noise: the canary is judged from its first ~50 calls.
 */
function judge(stableWindow: VersionOutcome, canaryWindow: VersionOutcome, config: Thresholds): string | undefined {
  const stable = summary(stableWindow);
  const canary = summary(canaryWindow);
  const errors = errorRateExcess(stableWindow, canaryWindow, config);
  if (errors !== undefined) return errors;
  if (stable.p95Ms > 0 && canary.p95Ms > stable.p95Ms * config.maxLatencyRatio) {
    // A p95 from a few dozen calls is a noisy estimate: with stable's own latencies, 3 tail calls
    // in 50 put the canary's p95 in the tail (7.8 % of windows when 2 % of calls are slow), which
    // alone rolled back healthy canaries. "p95 above ratio × stable's p95" means more than 5 % of
    // the canary's calls are slower than that limit; that share must also be significantly above
    // stable's share of calls slower than the same limit.
    const limit = stable.p95Ms * config.maxLatencyRatio;
    const z = excessZ(callsAbove(canaryWindow, limit), canary.calls, callsAbove(stableWindow, limit), stable.calls);
    if (z > config.significanceZ) {
      return `p95 latency ${canary.p95Ms.toFixed(1)} ms vs ${stable.p95Ms.toFixed(1)} ms (z = ${z.toFixed(1)})`;
    }
  }
  return undefined;
}

/**
 * Why `window`'s error rate is significantly above `reference`'s (by more than
 * `maxErrorRateIncrease`, at `significanceZ`), or undefined when it is not.
 */
function errorRateExcess(reference: VersionOutcome, window: VersionOutcome, config: Thresholds): string | undefined {
  const before = summary(reference);
  const after = summary(window);
  if (after.errorRate - before.errorRate <= config.maxErrorRateIncrease) return undefined;
  // One-sided: is the window's error rate really above the reference's?
  const z = excessZ(window.failures, after.calls, reference.failures, before.calls);
  if (z <= config.significanceZ) return undefined;
  return `error rate ${(after.errorRate * 100).toFixed(1)} % vs ${(before.errorRate * 100).toFixed(1)} % (z = ${z.toFixed(1)})`;
}

/** Calls in latency buckets whose upper bound is above `limitMs`. */
function callsAbove(outcome: VersionOutcome, limitMs: number): number {
  let calls = 0;
  outcome.latencyBuckets.forEach((count, index) => {
    if ((LATENCY_BUCKETS_MS[index] as number) > limitMs) calls += count;
  });
  return calls;
}

/**
 * One-sided two-proportion z-score of "a's rate is above b's", with Yates' continuity correction.
 * Uncorrected, the test is too eager on the small counts a canary's first window holds (2 errors
 * in 50 against a 0.5 % baseline gave z = 2.9, though that happens to a healthy version 2.6 % of
 * the time rather than the 1 % z = 2.33 stands for); corrected, it stays close to an exact test.
 */
function excessZ(aHits: number, aCalls: number, bHits: number, bCalls: number): number {
  const b = Math.max(1, bCalls);
  const pooled = (aHits + bHits) / (aCalls + b);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / aCalls + 1 / b));
  const excess = aHits / aCalls - bHits / b - 0.5 * (1 / aCalls + 1 / b);
  if (standardError === 0) return excess > 0 ? Number.POSITIVE_INFINITY : 0;
  return excess / standardError;
}
