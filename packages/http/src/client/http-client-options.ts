import {
  assertInteger,
  assertKnownKeys,
  assertObject,
  assertOneOf,
  describeValue,
  INSTANCE_LIMITS,
  InvalidArgumentError,
  withDefaults,
} from '@switchyard/core';
import type { Discovery } from '@switchyard/discovery';
import type { Policy } from '@switchyard/resilience';
import { Client, Pool } from 'undici';
import { checkDeadlineHeaderName, DEFAULT_DEADLINE_HEADER } from '../deadline-header.js';

/** Options for {@link createHttpClient}. */
export interface HttpClientOptions {
  /** Where instances come from and how one is picked. */
  discovery: Discovery;
  /** The call policy around attempts. @default compose(retry(), circuitBreaker()); `false`: one attempt */
  policy?: Policy | false;
  /** A CLIENT span per attempt when a tracer is registered. @default true */
  tracing?: boolean;
  /** The instance port to call. @default 'http' */
  port?: string;
  /** @default 'http' */
  scheme?: 'http' | 'https';
  /** Options of the undici `Pool` made per instance (connections, pipelining, keepAliveTimeout, connect/TLS…). @default undici's */
  poolOptions?: Pool.Options;
  /** Deadline for calls that give none and inherit none. @default 10_000 */
  defaultDeadlineMs?: number;
  /** The header carrying the remaining deadline (ms) to the server. @default 'x-switchyard-deadline-ms' */
  deadlineHeader?: string;
  /** Reject with HttpCallError on status ≥ 400 (`false`: resolve with the response). @default true */
  throwOnStatus?: boolean;
  /** Statuses retried for requests that may be sent twice (see HttpRequest.idempotent). @default [429, 502, 503, 504] */
  retryableStatuses?: readonly number[];
  /** How much of an error response's body is kept on the HttpCallError (a response handed back with `throwOnStatus: false` is always whole). @default 65_536 */
  maxErrorBodyBytes?: number;
  /** How long the pool of an instance that left the healthy view stays open. @default 15_000 */
  closePoolsAfterMs?: number;
  /**
   * How long a closing pool (`close()`, or an instance gone `closePoolsAfterMs` ago) waits for its
   * requests in flight, response bodies included, before destroying them: a body nobody reads then
   * errors and `close()` resolves. `Infinity`: as long as they take. @default 10_000
   */
  closeGraceMs?: number;
}

/** Defaults of {@link HttpClientOptions}. */
export const DEFAULT_HTTP_CLIENT_OPTIONS = Object.freeze({
  tracing: true,
  port: 'http',
  scheme: 'http',
  defaultDeadlineMs: 10_000,
  deadlineHeader: DEFAULT_DEADLINE_HEADER,
  throwOnStatus: true,
  retryableStatuses: Object.freeze([429, 502, 503, 504]) as readonly number[],
  maxErrorBodyBytes: 65_536,
  closePoolsAfterMs: 15_000,
  closeGraceMs: 10_000,
});

/** {@link HttpClientOptions} after validation and defaults. */
export interface ResolvedHttpClientOptions {
  discovery: Discovery;
  policy: Policy | false | undefined;
  poolOptions: Pool.Options | undefined;
  tracing: boolean;
  port: string;
  scheme: 'http' | 'https';
  defaultDeadlineMs: number;
  deadlineHeader: string;
  throwOnStatus: boolean;
  retryableStatuses: readonly number[];
  maxErrorBodyBytes: number;
  closePoolsAfterMs: number;
  closeGraceMs: number;
}

const OPTION_KEYS = [
  'discovery',
  'policy',
  'tracing',
  'port',
  'scheme',
  'poolOptions',
  'defaultDeadlineMs',
  'deadlineHeader',
  'throwOnStatus',
  'retryableStatuses',
  'maxErrorBodyBytes',
  'closePoolsAfterMs',
  'closeGraceMs',
];

/** An HTTP token (RFC 9110): header names and methods. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Checks pool options the way undici will: by making a Pool with them (its constructor validates
 * them and opens nothing; a Pool connects only for a request). Unchecked, options undici refuses
 * (`connections: -3`) failed every call later with undici's own error, each attempt reported as
 * the instance's failure, instead of once here naming the option.
 */
function assertPoolOptions(scheme: string, poolOptions: Pool.Options): void {
  const origin = `${scheme}://127.0.0.1`;
  // undici never checks it: a negative one (even -1e-97) let no request out of the pool's queue,
  // every call ran out its deadline and close() waited for them for good.
  if (poolOptions.pipelining !== undefined && poolOptions.pipelining !== null) {
    assertInteger('options.poolOptions.pipelining', poolOptions.pipelining, 0, 2 ** 31 - 1);
  }
  // undici hands these to net.connect() unchecked, which refused them only at the first connection.
  const { autoSelectFamily, autoSelectFamilyAttemptTimeout } = poolOptions;
  if (autoSelectFamily !== undefined && autoSelectFamily !== null && typeof autoSelectFamily !== 'boolean') {
    throw new InvalidArgumentError(
      'options.poolOptions.autoSelectFamily',
      `must be a boolean, got ${describeValue(autoSelectFamily)}`,
    );
  }
  if (autoSelectFamily && autoSelectFamilyAttemptTimeout !== undefined && autoSelectFamilyAttemptTimeout !== null) {
    assertInteger('options.poolOptions.autoSelectFamilyAttemptTimeout', autoSelectFamilyAttemptTimeout, 1, 2 ** 31 - 1);
  }
  // The client follows no redirects: a redirect is the caller's (an HttpCallError with its location,
  // or request()'s response). undici's own following, made per connection, ignores the redirect's
  // origin: `Location: http://payments.internal/charge` asked this same instance for `/charge`,
  // outside the retry rules, the deadline header and the instance's outcome.
  const { maxRedirections } = poolOptions as { maxRedirections?: unknown };
  if (maxRedirections !== undefined && maxRedirections !== null && maxRedirections !== 0) {
    throw new InvalidArgumentError(
      'options.poolOptions.maxRedirections',
      `must be 0 or left out: the client follows no redirects (undici's would send one to another origin to the same instance), got ${describeValue(maxRedirections)}`,
    );
  }
  try {
    new Pool(origin, poolOptions).close().catch(() => undefined);
    // The Pool makes its connections' Clients lazily, with the same options: those Client checks
    // (keepAliveTimeout, bodyTimeout…) ran only at the first request. A custom factory makes its own.
    if (poolOptions.factory === undefined) new Client(origin, poolOptions).close().catch(() => undefined);
  } catch (error) {
    throw new InvalidArgumentError('options.poolOptions', (error as Error).message, { cause: error });
  }
}

/**
 * A pool `factory` whose result is checked when undici calls it (for each new connection to an
 * instance): one returning anything but a Dispatcher failed every call with undici's TypeError
 * (`client.on is not a function`, code UNKNOWN, blamed on the instance) instead of naming the option.
 */
function checkedFactory(factory: NonNullable<Pool.Options['factory']>): NonNullable<Pool.Options['factory']> {
  return (origin, options) => {
    const dispatcher = factory(origin, options) as unknown as Record<string, unknown> | null | undefined;
    for (const method of ['dispatch', 'close', 'destroy', 'on']) {
      if (typeof dispatcher?.[method] !== 'function') {
        throw new InvalidArgumentError(
          'options.poolOptions.factory',
          `must return an undici Dispatcher (such as new Client(origin, options)), got one without ${method}()`,
        );
      }
    }
    return dispatcher as unknown as ReturnType<typeof factory>;
  };
}

/** Validates client options (INVALID_ARGUMENT naming the field) and merges the defaults. */
export function resolveClientOptions(options: HttpClientOptions): ResolvedHttpClientOptions {
  assertObject('options', options);
  assertKnownKeys('options', options as unknown as Record<string, unknown>, OPTION_KEYS);
  if (!options.discovery || typeof options.discovery.pick !== 'function') {
    throw new InvalidArgumentError('options.discovery', 'must be a Discovery (createDiscovery({ registry, service }))');
  }
  const policy = options.policy as unknown;
  if (policy !== undefined && policy !== false && typeof (policy as Policy)?.execute !== 'function') {
    throw new InvalidArgumentError('options.policy', 'must be a Policy (compose(retry(), …)) or false');
  }
  // withDefaults, not a spread: an option given as `undefined` (`defaultDeadlineMs:
  // config.timeoutMs` with nothing configured) keeps its default, as the optional types promise and
  // the other Switchyard clients and policies do; spread, it replaced the default and the client
  // refused to be made ("options.tracing: must be a boolean").
  const resolved: ResolvedHttpClientOptions = withDefaults(
    { policy: undefined, poolOptions: undefined, ...DEFAULT_HTTP_CLIENT_OPTIONS },
    options,
  );
  for (const name of ['tracing', 'throwOnStatus'] as const) {
    if (typeof resolved[name] !== 'boolean') throw new InvalidArgumentError(`options.${name}`, 'must be a boolean');
  }
  // A name no instance can have (`HTTP`, `toString`) failed every call instead.
  if (typeof resolved.port !== 'string' || !INSTANCE_LIMITS.portNamePattern.test(resolved.port)) {
    throw new InvalidArgumentError(
      'options.port',
      `must be the name of an instance port (e.g. "http"): ${INSTANCE_LIMITS.portNameRule}, got ${describeValue(resolved.port)}`,
    );
  }
  assertOneOf('options.scheme', resolved.scheme, ['http', 'https']);
  if (options.poolOptions !== undefined) {
    assertObject('options.poolOptions', options.poolOptions);
    assertPoolOptions(resolved.scheme, options.poolOptions);
    // (As typed: assertObject() left it a Record, whose factory narrows to a bare Function.)
    const { factory } = options.poolOptions as Pool.Options;
    if (factory !== undefined) resolved.poolOptions = { ...options.poolOptions, factory: checkedFactory(factory) };
  }
  assertInteger('options.defaultDeadlineMs', resolved.defaultDeadlineMs, 1, 86_400_000);
  assertInteger('options.maxErrorBodyBytes', resolved.maxErrorBodyBytes, 0, 64 * 1024 * 1024);
  assertInteger('options.closePoolsAfterMs', resolved.closePoolsAfterMs, 0, 86_400_000);
  // As the gRPC server's shutdown(graceMs): Infinity waits as long as the requests take.
  if (resolved.closeGraceMs !== Number.POSITIVE_INFINITY) {
    assertInteger('options.closeGraceMs', resolved.closeGraceMs, 0, 86_400_000);
  }
  resolved.deadlineHeader = checkDeadlineHeaderName('options.deadlineHeader', resolved.deadlineHeader);
  if (!Array.isArray(resolved.retryableStatuses)) {
    throw new InvalidArgumentError('options.retryableStatuses', 'must be an array of HTTP statuses');
  }
  resolved.retryableStatuses.forEach((status, index) => {
    assertInteger(`options.retryableStatuses[${index}]`, status, 400, 599);
  });
  return resolved;
}
