import {
  assertKnownKeys,
  assertLogger,
  assertObject,
  InvalidArgumentError,
  type Logger,
  silentLogger,
  withDefaults,
} from '@switchyard/core';
import { checkDeadlineHeaderName, DEFAULT_DEADLINE_HEADER } from '../deadline-header.js';
import { createHealthState, type HealthState, isHealthState } from './health-state.js';

/** Options shared by {@link httpHandler} and {@link switchyardFastify}. */
export interface HttpServerOptions {
  /** The state `/readyz` reports. @default a new createHealthState() (ready) */
  health?: HealthState;
  /**
   * Where the probes are served; `false` serves none. A path left out or given as `undefined` keeps
   * its default. @default { live: '/healthz', ready: '/readyz' }
   */
  healthPaths?: { live?: string; ready?: string } | false;
  /** A SERVER span per request when a tracer is registered. @default true */
  tracing?: boolean;
  /** The header carrying the caller's remaining deadline (ms). @default 'x-switchyard-deadline-ms' */
  deadlineHeader?: string;
  /** Where handler failures that become 500 are logged. @default silentLogger */
  logger?: Logger;
}

/** Defaults of {@link HttpServerOptions}. */
export const DEFAULT_HTTP_SERVER_OPTIONS = Object.freeze({
  healthPaths: Object.freeze({ live: '/healthz', ready: '/readyz' }),
  tracing: true,
  deadlineHeader: DEFAULT_DEADLINE_HEADER,
});

/** {@link HttpServerOptions} after validation. */
export interface ResolvedServerOptions {
  readonly health: HealthState;
  readonly livePath: string | undefined;
  readonly readyPath: string | undefined;
  readonly tracing: boolean;
  readonly deadlineHeader: string;
  readonly logger: Logger;
}

const KEYS = ['health', 'healthPaths', 'tracing', 'deadlineHeader', 'logger'];
const PATH = /^\/[^\s?#]*$/;

/** Validates server options (INVALID_ARGUMENT naming the field) and settles the defaults. */
export function resolveServerOptions(input: HttpServerOptions, field: string): ResolvedServerOptions {
  assertObject(field, input as unknown);
  assertKnownKeys(field, input as Record<string, unknown>, KEYS);
  const options = input;
  if (options.health !== undefined && !isHealthState(options.health)) {
    throw new InvalidArgumentError(`${field}.health`, 'must be a HealthState (createHealthState())');
  }
  const tracing = options.tracing ?? DEFAULT_HTTP_SERVER_OPTIONS.tracing;
  if (typeof tracing !== 'boolean') throw new InvalidArgumentError(`${field}.tracing`, 'must be a boolean');
  const deadlineHeader = checkDeadlineHeaderName(
    `${field}.deadlineHeader`,
    options.deadlineHeader ?? DEFAULT_HTTP_SERVER_OPTIONS.deadlineHeader,
  );
  let livePath: string | undefined;
  let readyPath: string | undefined;
  if (options.healthPaths !== false) {
    if (options.healthPaths !== undefined) {
      assertObject(`${field}.healthPaths`, options.healthPaths);
      assertKnownKeys(`${field}.healthPaths`, options.healthPaths as Record<string, unknown>, ['live', 'ready']);
    }
    // A path given as undefined keeps its default, as every other option does: spread over the
    // defaults, `{ ready: undefined }` replaced '/readyz' and was refused as no path.
    // (Typed as strings, checked below as any value: JavaScript callers pass what they like.)
    const paths: { live: string; ready: string } = withDefaults(
      DEFAULT_HTTP_SERVER_OPTIONS.healthPaths as { live: string; ready: string },
      options.healthPaths,
    );
    for (const name of ['live', 'ready'] as const) {
      if (typeof paths[name] !== 'string' || !PATH.test(paths[name])) {
        throw new InvalidArgumentError(`${field}.healthPaths.${name}`, 'must be a path starting with "/" (no query)');
      }
    }
    // One path for both: liveness answered it, so readiness (not ready, draining) was never reported;
    // and the Fastify plugin's second route threw, so it never finished registering.
    if (paths.live === paths.ready) {
      throw new InvalidArgumentError(`${field}.healthPaths.ready`, `must differ from live (${paths.live})`);
    }
    livePath = paths.live;
    readyPath = paths.ready;
  }
  const logger = options.logger ?? silentLogger;
  // All four levels: an error reply logs at debug (4xx) or warn (5xx), so a logger with error alone
  // failed there, in the handler's rejection, and the request got no reply.
  assertLogger(`${field}.logger`, logger);
  return {
    health: options.health ?? createHealthState(),
    livePath,
    readyPath,
    tracing,
    deadlineHeader,
    logger,
  };
}
