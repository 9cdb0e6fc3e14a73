import { requireInteger } from './internal/validate.js';
import { withDefaults } from './internal/with-defaults.js';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dockerEndpoint } from './internal/docker-endpoint.js';
import { loadTestcontainers } from './internal/load-testcontainers.js';

/** Options of {@link dockerAvailable}. */
export interface DockerAvailableOptions {
  /**
   * How long to wait for the engine's `/_ping`.
   * @default 1_500
   */
  timeoutMs?: number;
}

/** Defaults of {@link dockerAvailable}. */
export const DEFAULT_DOCKER_AVAILABLE_OPTIONS = Object.freeze({ timeoutMs: 1_500 });

let cached: Promise<boolean> | undefined;

/**
 * Whether a Docker engine answers, checked once per process and cached. Pings `/_ping` on `DOCKER_HOST`
 * (`unix://` or `tcp://`, honouring `DOCKER_TLS_VERIFY` / `DOCKER_CERT_PATH`) or the usual socket paths, without
 * loading testcontainers; other `DOCKER_HOST` schemes are left to testcontainers' own discovery.
 *
 * @example
 * describe.runIf(await dockerAvailable())('through a container', () => { … });
 */
export function dockerAvailable(options: DockerAvailableOptions = {}): Promise<boolean> {
  let timeoutMs: number;
  // Checked before anything is cached: -1 or NaN made http.request throw inside the probe, and that
  // rejection was cached for every later startRedis() in auto mode. Bad options reject, never throw.
  try {
    ({ timeoutMs } = withDefaults(DEFAULT_DOCKER_AVAILABLE_OPTIONS, options));
    requireInteger('timeoutMs', timeoutMs, 1, 600_000);
  } catch (error) {
    return Promise.reject(error);
  }
  cached ??= probeDocker(timeoutMs);
  return cached;
}

async function probeDocker(timeoutMs: number): Promise<boolean> {
  const target = dockerEndpoint();
  if (target === undefined) return false;
  if (target === 'other') return probeWithTestcontainers(timeoutMs);
  return new Promise((resolve) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send({ ...target, method: 'GET', path: '/_ping', timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(false));
    request.end();
  });
}

async function probeWithTestcontainers(timeoutMs: number): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await loadTestcontainers();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    const client = getContainerRuntimeClient().then(
      () => true,
      () => false,
    );
    const answered = await Promise.race([client, timeout]);
    clearTimeout(timer);
    return answered;
  } catch {
    return false;
  }
}
