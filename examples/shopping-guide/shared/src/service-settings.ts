import { readFileSync } from 'node:fs';
import { assertInteger, baggageWithTrack, InvalidArgumentError, trackFromBaggage } from '@switchyard/core';

/** What every shopping-guide service reads from its environment beside the SDK's own variables. */
export interface ServiceSettings {
  /** SWITCHYARD_VERSION, else the service package's version. */
  version: string;
  /** GRPC_PORT, else 50051 (0: any free port, as the demo asks). */
  grpcPort: number;
  /** `{ track }` from SWITCHYARD_TRACK (a track-b deployment), else none. See {@link trackSetting}. */
  metadata: Record<string, string> | undefined;
}

/**
 * Reads the service settings lazily (never at import time). A bad value throws an
 * INVALID_ARGUMENT error naming the variable, so the process fails at start with one line.
 *
 * @param manifestUrl the calling service's package.json, the version when SWITCHYARD_VERSION is
 *   unset; a URL because only the service knows where its manifest is
 *   (`new URL('../package.json', import.meta.url)`). Read only when needed.
 * @param env @default process.env
 */
export function serviceSettings(manifestUrl: URL, env: NodeJS.ProcessEnv = process.env): ServiceSettings {
  const grpcPort = portSetting('GRPC_PORT', env.GRPC_PORT, 50051);
  return {
    version: env.SWITCHYARD_VERSION || packageVersion(manifestUrl),
    grpcPort,
    metadata: env.SWITCHYARD_TRACK ? { track: trackSetting(env.SWITCHYARD_TRACK) } : undefined,
  };
}

/**
 * SWITCHYARD_TRACK, refused unless a request can carry it. An instance with a track serves only
 * requests of that track, and a request's track (baggage `switchyard.track`) is only ever letters,
 * digits, `.`, `_` and `-`, at most 64: taken as it was, `b ` (a stray space) or `exp/b`
 * registered an instance no request's track could match, and beside untracked replicas (an A/B
 * rollout) it got no traffic at all, silently.
 * Checked by the SDK's own baggage round trip, so the rule cannot drift from the one it applies.
 */
function trackSetting(raw: string): string {
  if (trackFromBaggage(baggageWithTrack(undefined, raw)) !== raw) {
    throw new InvalidArgumentError(
      'SWITCHYARD_TRACK',
      `must be 1 to 64 letters, digits, '.', '_' or '-' (the track a request can carry), got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

/**
 * A port from the environment variable `name` (its value `raw`): unset or empty (an unset compose
 * interpolation) is `fallback`, 0 is any free port, anything but decimal digits is refused with an
 * INVALID_ARGUMENT naming the variable: Number() reads ' ' as 0, a random port, and takes '0x10'
 * or '1e3' for numbers nobody meant.
 */
export function portSetting(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  assertInteger(name, Number.isInteger(port) ? port : raw, 0, 65_535);
  return port;
}

function packageVersion(manifestUrl: URL): string {
  const manifest = JSON.parse(readFileSync(manifestUrl, 'utf8')) as { version: string };
  return manifest.version;
}
