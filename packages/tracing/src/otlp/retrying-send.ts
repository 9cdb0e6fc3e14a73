import { setTimeout as sleep } from 'node:timers/promises';
import type { OtlpSendResult } from './otlp-http-send.js';

/** The OpenTelemetry exporters' retry schedule: at most 5 retries, backoff 1 s × 1.5ⁿ capped at 5 s, ±20 % jitter. */
const MAX_RETRIES = 5;
const INITIAL_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 5_000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;

/** What {@link sendWithRetries} waits with and draws jitter from (replaceable in tests). */
export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<unknown>;
  random(): number;
}

const REAL_CLOCK: RetryClock = { now: Date.now, sleep: (ms) => sleep(ms), random: Math.random };

/**
 * Runs `attempt` until it does not come back retryable, with the schedule of the official
 * exporters' retrying transport: a retryable result is tried again after its `Retry-After` (when
 * the collector gave one) or the next backoff, as long as that wait ends before `timeoutMillis`
 * from the first attempt; each attempt gets what is left of that budget. Returns the last result.
 */
export async function sendWithRetries(
  attempt: (timeoutMillis: number) => Promise<OtlpSendResult>,
  timeoutMillis: number,
  clock: RetryClock = REAL_CLOCK,
): Promise<OtlpSendResult> {
  const deadline = clock.now() + timeoutMillis;
  let result = await attempt(timeoutMillis);
  let nextBackoff = INITIAL_BACKOFF_MS;
  for (let retries = 0; result.status === 'retryable' && retries < MAX_RETRIES; retries++) {
    const jittered = nextBackoff * (1 + (clock.random() * 2 - 1) * JITTER);
    nextBackoff *= BACKOFF_MULTIPLIER;
    const wait = result.retryInMillis ?? Math.max(0, Math.min(jittered, MAX_BACKOFF_MS));
    if (wait > deadline - clock.now()) return result;
    await clock.sleep(wait);
    result = await attempt(Math.max(1, deadline - clock.now()));
  }
  return result;
}
