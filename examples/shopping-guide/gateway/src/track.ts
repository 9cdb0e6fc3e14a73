import type { IncomingMessage } from 'node:http';
import { assignArm } from '@switchyard/core';

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
  const percent = Number(env.GATEWAY_TRACK_B_PERCENT ?? 0);
  if (!user || !(percent > 0)) return undefined;
  return assignArm('shopping-guide-b', user, { a: 100 - Math.min(100, percent), b: Math.min(100, percent) }) === 'b'
    ? 'b'
    : undefined;
}
