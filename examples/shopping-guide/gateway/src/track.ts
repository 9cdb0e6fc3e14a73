import type { IncomingMessage } from 'node:http';
import { assignArm, InvalidArgumentError } from '@switchyard/core';

const TRACK = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The experiment track of a request entering the system: an explicit `x-switchyard-track` header
 * (for testers), else, when `GATEWAY_TRACK_B_PERCENT` is set, a deterministic bucket of the user
 * (the same user always lands in the same arm), else none. Every downstream hop keeps it (baggage).
 */
export function trackOf(
  request: IncomingMessage,
  user: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const header = request.headers['x-switchyard-track'];
  if (typeof header === 'string' && TRACK.test(header)) return header;
  const percent = trackBPercent(env);
  if (!user || percent === 0) return undefined;
  return assignArm('shopping-guide-b', user, { a: 100 - percent, b: percent }) === 'b' ? 'b' : undefined;
}

/**
 * GATEWAY_TRACK_B_PERCENT as a number from 0 to 100 (unset or empty: 0). Anything else is refused,
 * naming the variable: read leniently, a typo (`30%`) silently turned the experiment off.
 * startGateway() calls it once at start, so a bad value stops the process there, not each request.
 */
export function trackBPercent(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GATEWAY_TRACK_B_PERCENT;
  if (raw === undefined || raw === '') return 0;
  const percent = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(percent >= 0 && percent <= 100)) {
    throw new InvalidArgumentError(
      'GATEWAY_TRACK_B_PERCENT',
      `must be a number from 0 to 100, got ${JSON.stringify(raw)}`,
    );
  }
  return percent;
}
