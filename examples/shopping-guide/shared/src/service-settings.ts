import { readFileSync } from 'node:fs';
import { assertInteger } from '@switchyard/core';

/** What every shopping-guide service reads from its environment beside the SDK's own variables. */
export interface ServiceSettings {
  /** SWITCHYARD_VERSION, else the service package's version. */
  version: string;
  /** GRPC_PORT, else 50051 (0: any free port, as the demo asks). */
  grpcPort: number;
  /** `{ track }` from SWITCHYARD_TRACK (a track-b deployment), else none. */
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
  const rawPort = env.GRPC_PORT;
  const grpcPort = rawPort === undefined || rawPort === '' ? 50051 : portNumber(rawPort);
  assertInteger('GRPC_PORT', Number.isInteger(grpcPort) ? grpcPort : rawPort, 0, 65_535);
  return {
    version: env.SWITCHYARD_VERSION || packageVersion(manifestUrl),
    grpcPort,
    metadata: env.SWITCHYARD_TRACK ? { track: env.SWITCHYARD_TRACK } : undefined,
  };
}

/**
 * Decimal digits only: Number() also reads ' ' (and other blanks) as 0, a random port, and takes
 * '0x10' or '1e3' for numbers nobody meant.
 */
function portNumber(raw: string): number {
  return /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
}

function packageVersion(manifestUrl: URL): string {
  const manifest = JSON.parse(readFileSync(manifestUrl, 'utf8')) as { version: string };
  return manifest.version;
}
