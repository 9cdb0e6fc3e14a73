import {
  assertInteger,
  assertKnownKeys,
  assertLogger,
  assertObject,
  describeValue,
  INSTANCE_LIMITS,
  InvalidArgumentError,
  validateHost,
  validateMetadata,
  validateServiceName,
} from '@switchyard/core';
import { type Registry, validateRegistryUrl, withRegistryCredentials } from '@switchyard/registry';
import { isIP } from 'node:net';
import { listensEverywhere, unbracketed } from './advertise-host.js';
import type { ServiceOptions } from './service-options.js';

/** Every setting of a service, after options → environment → defaults. */
export interface ServiceConfig {
  /** The service name (a DNS label). */
  name: string;
  /** `version`, else `SWITCHYARD_VERSION`; `undefined`: none. */
  version: string | undefined;
  /**
   * `registry` (a URL, with credentials from the environment written in, or an instance), else
   * `SWITCHYARD_REGISTRY_URL`.
   */
  registry: string | Registry;
  /** `zone`, else `SWITCHYARD_ZONE`; `undefined`: none. */
  zone: string | undefined;
  /** `metadata`, checked; `{}` when not given. */
  metadata: Record<string, string>;
  /**
   * `advertiseHost`, else `SWITCHYARD_ADVERTISE_HOST`, else `POD_IP`; `undefined`: worked out at
   * start from the listen host.
   */
  advertiseHost: string | undefined;
  /** The address servers listen on unless `grpc.host`/`http.host` say otherwise. */
  listenHost: string;
  /** `ttlMs`, else `SWITCHYARD_TTL_MS`; `undefined`: the registry's default. */
  ttlMs: number | undefined;
  /** `drainDelayMs`, else `SWITCHYARD_DRAIN_DELAY_MS`, else 5_000. */
  drainDelayMs: number;
  /** `shutdownGraceMs`, else `SWITCHYARD_SHUTDOWN_GRACE_MS`, else 10_000. */
  shutdownGraceMs: number;
}

/** Defaults of the service runtime. */
export const DEFAULT_SERVICE_OPTIONS = Object.freeze({
  /** Time between "draining" and deregistration: clients' watches see the change and stop picking. */
  drainDelayMs: 5_000,
  /** Time in-flight calls get to finish after deregistration. */
  shutdownGraceMs: 10_000,
});

const OPTION_KEYS = [
  'name',
  'version',
  'registry',
  'grpc',
  'http',
  'zone',
  'metadata',
  'tracing',
  'ttlMs',
  'drainDelayMs',
  'shutdownGraceMs',
  'advertiseHost',
  'logger',
  'handleSignals',
  'ready',
  'onStop',
  'metrics',
];

const GRPC_KEYS = ['services', 'port', 'host', 'credentials', 'reflection'];
const HTTP_KEYS = ['handler', 'port', 'host'];
const METRICS_KEYS = ['port'];

/**
 * SWITCHYARD_LISTEN_HOST (checked, naming it), else every interface: IPv4's `0.0.0.0`, or `::`
 * when the advertised host is an IPv6 address. Kubernetes sets POD_IP to an IPv6 address in an
 * IPv6 (or IPv6-first dual-stack) cluster, and a server on 0.0.0.0 takes IPv4 only: the instance
 * was registered at [POD_IP] and every caller was refused there. `::` takes IPv4 as well (unless
 * the system sets IPV6_V6ONLY), so nothing reachable before stops being so.
 */
function listenHostOf(env: NodeJS.ProcessEnv, advertised: string | undefined): string {
  const host = variable(env, 'SWITCHYARD_LISTEN_HOST');
  if (host !== undefined) return validateHost(host, 'SWITCHYARD_LISTEN_HOST');
  return advertised !== undefined && isIP(unbracketed(advertised)) === 6 ? '::' : '0.0.0.0';
}

/**
 * Resolves configuration: options first, then environment variables, then defaults. Every error
 * names the setting it came from (`drainDelayMs` or `SWITCHYARD_DRAIN_DELAY_MS`), so a bad
 * deployment fails at start with one clear line. `env` defaults to `process.env`.
 */
export function resolveServiceConfig(options: ServiceOptions, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  assertObject('options', options);
  assertKnownKeys('options', options as unknown as Record<string, unknown>, OPTION_KEYS);
  const name = validateServiceName(options.name, 'name');
  // Checked before anything starts: a logger without `info` used to throw at the "started" line,
  // after registering, leaving the entry and the servers behind; `ready: 'false'` read as true.
  if (options.logger !== undefined) assertLogger('logger', options.logger);
  for (const flag of ['ready', 'handleSignals'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean')
      throw new InvalidArgumentError(flag, `must be a boolean, got ${describeValue(options[flag])}`);
  }
  if (options.onStop !== undefined && typeof options.onStop !== 'function')
    throw new InvalidArgumentError('onStop', `must be a function, got ${describeValue(options.onStop)}`);
  // A misspelt server option (`http.hostname`) used to be ignored: the server then listened on
  // every interface, or on the default port.
  if (options.grpc !== undefined) {
    assertObject('grpc', options.grpc);
    assertKnownKeys('grpc', options.grpc as unknown as Record<string, unknown>, GRPC_KEYS);
  }
  // Listen hosts are checked here too: a bad one used to fail at listen(), reported as `http.port`
  // (or as the metrics endpoint's `port`), never naming the setting that held it.
  if (options.grpc?.host !== undefined) validateHost(options.grpc.host, 'grpc.host');
  // Ports are checked here, not only in startService: a deployment check running this passed a
  // port out of range, which then failed every pod at start.
  if (options.grpc?.port !== undefined) assertInteger('grpc.port', options.grpc.port, 0, 65_535);
  if (options.http?.port !== undefined) assertInteger('http.port', options.http.port, 0, 65_535);
  if (options.http !== undefined) {
    assertObject('http', options.http);
    assertKnownKeys('http', options.http as unknown as Record<string, unknown>, HTTP_KEYS);
    if (options.http.host !== undefined) validateHost(options.http.host, 'http.host');
    if (options.http.handler !== undefined && typeof options.http.handler !== 'function')
      throw new InvalidArgumentError(
        'http.handler',
        `must be a function (request, response, context) => …, got ${describeValue(options.http.handler)}`,
      );
  }
  // `false`, or initTracing's options (checked there): `tracing: 0`, `null` or `'off'` (a flag read
  // from a config file) was spread into initTracing as no options at all, and traced.
  if (options.tracing !== undefined && options.tracing !== false) assertObject('tracing', options.tracing);
  // `false`, or `{ port? }`: a port given as the option itself (`metrics: 9100`) or `metrics: true`
  // used to be taken as "on, default port", and /metrics came up on 9464 where nobody scraped.
  if (options.metrics !== undefined && options.metrics !== false) {
    assertObject('metrics', options.metrics);
    assertKnownKeys('metrics', options.metrics as unknown as Record<string, unknown>, METRICS_KEYS);
    if (options.metrics.port !== undefined) assertInteger('metrics.port', options.metrics.port, 0, 65_535);
  }
  // Read by initMetrics only once the start is under way: checked here too (wherever the options
  // leave the port to it), so that a deployment check running this refuses a bad one, not the pods.
  if (options.metrics !== false && options.metrics?.port === undefined)
    integerSetting('metrics.port', undefined, 'SWITCHYARD_METRICS_PORT', env, undefined, 0, 65_535);
  const registryOption = options.registry ?? variable(env, 'SWITCHYARD_REGISTRY_URL');
  if (registryOption === undefined || registryOption === '') {
    throw new InvalidArgumentError(
      'registry',
      'is required: pass registry or set SWITCHYARD_REGISTRY_URL (e.g. redis://redis:6379 or memory://)',
    );
  }
  // Anything else failed as a TypeError (`registry.register is not a function`) after the servers had started.
  if (typeof registryOption !== 'string' && !isRegistry(registryOption)) {
    throw new InvalidArgumentError(
      'registry',
      `must be a registry URL or a Registry (createRegistry(url)), got ${describeValue(registryOption)}`,
    );
  }
  // SWITCHYARD_REGISTRY_PASSWORD (a Secret) completes a URL that has no password of its own.
  const registry =
    typeof registryOption === 'string'
      ? registryUrl(options.registry !== undefined ? 'registry' : 'SWITCHYARD_REGISTRY_URL', registryOption, env)
      : registryOption;
  const zone = options.zone ?? variable(env, 'SWITCHYARD_ZONE');
  // A string: the pattern test alone took a number or an array by its text (`zone: 0` passed as
  // "0", then counted as no zone and was never registered).
  if (zone !== undefined && (typeof zone !== 'string' || !INSTANCE_LIMITS.zonePattern.test(zone))) {
    throw new InvalidArgumentError(
      options.zone !== undefined ? 'zone' : 'SWITCHYARD_ZONE',
      `${INSTANCE_LIMITS.zoneRule}, got ${describeValue(zone)}`,
    );
  }
  // Version and host are checked here, naming their setting: the registry used to reject them as
  // `instance.version` / `instance.host`, after the servers had started.
  const version = options.version ?? variable(env, 'SWITCHYARD_VERSION');
  if (version !== undefined && (typeof version !== 'string' || !INSTANCE_LIMITS.versionPattern.test(version))) {
    throw new InvalidArgumentError(
      options.version !== undefined ? 'version' : 'SWITCHYARD_VERSION',
      `${INSTANCE_LIMITS.versionRule}, got ${describeValue(version)}`,
    );
  }
  const advertiseHost = options.advertiseHost ?? variable(env, 'SWITCHYARD_ADVERTISE_HOST') ?? variable(env, 'POD_IP');
  if (advertiseHost !== undefined) {
    const field =
      options.advertiseHost !== undefined
        ? 'advertiseHost'
        : variable(env, 'SWITCHYARD_ADVERTISE_HOST') !== undefined
          ? 'SWITCHYARD_ADVERTISE_HOST'
          : 'POD_IP';
    validateHost(advertiseHost, field);
    // An address to listen on, not to dial: it was registered as it was, and every caller then
    // dialled 0.0.0.0 (on Linux, its own machine) or `::`, never this instance.
    if (listensEverywhere(advertiseHost))
      throw new InvalidArgumentError(
        field,
        `must be an address other services can dial, not the unspecified address ${advertiseHost} (leave it unset to advertise this machine's address)`,
      );
  }
  return {
    name,
    version,
    registry,
    zone,
    metadata: metadataOf(options.metadata),
    advertiseHost,
    listenHost: listenHostOf(env, advertiseHost),
    ttlMs: integerSetting('ttlMs', options.ttlMs, 'SWITCHYARD_TTL_MS', env, undefined, 500, 86_400_000),
    drainDelayMs: integerSetting(
      'drainDelayMs',
      options.drainDelayMs,
      'SWITCHYARD_DRAIN_DELAY_MS',
      env,
      DEFAULT_SERVICE_OPTIONS.drainDelayMs,
      0,
      600_000,
    ) as number,
    shutdownGraceMs: integerSetting(
      'shutdownGraceMs',
      options.shutdownGraceMs,
      'SWITCHYARD_SHUTDOWN_GRACE_MS',
      env,
      DEFAULT_SERVICE_OPTIONS.shutdownGraceMs,
      0,
      600_000,
    ) as number,
  };
}

function integerSetting(
  option: string,
  value: number | undefined,
  variable: string,
  env: NodeJS.ProcessEnv,
  fallback: number | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value !== undefined) {
    assertInteger(option, value, min, max);
    return value;
  }
  // Blank is unset: Number(' ') is 0, which silently meant no drain delay and no grace.
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const parsed = Number(raw);
  assertInteger(variable, Number.isInteger(parsed) ? parsed : raw, min, max);
  return parsed;
}

/** An environment variable's value, trimmed; blank is unset. */
function variable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

/** Whether `value` has the methods startService uses of a Registry. */
function isRegistry(value: unknown): value is Registry {
  const candidate = value as Partial<Record<keyof Registry, unknown>> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    ['register', 'list', 'watch', 'close'].every((method) => typeof candidate[method as keyof Registry] === 'function')
  );
}

/**
 * Registration metadata, checked here by the registry's own rule (core's validateMetadata: a plain
 * object of string values within the limits), so a bad one fails the start before anything listens,
 * naming `metadata…` (the registry refused it only after the servers had started, naming
 * `instance.metadata…`). One rule in one place: a Map or a Date used to pass the registry as `{}`.
 */
function metadataOf(metadata: unknown): Record<string, string> {
  return metadata === undefined ? {} : validateMetadata(metadata, 'metadata');
}

/**
 * The registry URL with its credentials, checked here by the registry's own rules so that a
 * malformed one is refused by `resolveServiceConfig` (a deployment check) and named by its setting;
 * createRegistry refused it later, during start, as `url`, which is no setting of a service.
 */
function registryUrl(field: string, url: string, env: NodeJS.ProcessEnv): string {
  // The URL as given first: adding the credentials parses it, and refused a malformed one as `url`
  // whenever SWITCHYARD_REGISTRY_PASSWORD was set (always, with the password in a Secret).
  validateRegistryUrl(url, field);
  const withCredentials = withRegistryCredentials(url, env);
  validateRegistryUrl(withCredentials, field);
  return withCredentials;
}
