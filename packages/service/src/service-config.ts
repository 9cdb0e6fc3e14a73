import {
  assertInteger,
  assertKnownKeys,
  assertObject,
  INSTANCE_LIMITS,
  InvalidArgumentError,
  validateServiceName,
} from '@switchyard/core';
import { type Registry, withRegistryCredentials } from '@switchyard/registry';
import type { ServiceOptions } from './service-options.js';

/** Every setting of a service, after options → environment → defaults. */
export interface ServiceConfig {
  name: string;
  version: string | undefined;
  registry: string | Registry;
  zone: string | undefined;
  metadata: Record<string, string>;
  advertiseHost: string | undefined;
  /** The address servers listen on unless `grpc.host`/`http.host` say otherwise. */
  listenHost: string;
  ttlMs: number | undefined;
  drainDelayMs: number;
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

/**
 * Resolves configuration: options first, then environment variables, then defaults. Every error
 * names the setting it came from (`drainDelayMs` or `SWITCHYARD_DRAIN_DELAY_MS`), so a bad
 * deployment fails at start with one clear line.
 */
export function resolveServiceConfig(options: ServiceOptions, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  assertObject('options', options);
  assertKnownKeys('options', options as unknown as Record<string, unknown>, OPTION_KEYS);
  const name = validateServiceName(options.name, 'name');
  const registryOption = options.registry ?? env.SWITCHYARD_REGISTRY_URL;
  if (registryOption === undefined || registryOption === '') {
    throw new InvalidArgumentError(
      'registry',
      'is required: pass registry or set SWITCHYARD_REGISTRY_URL (e.g. redis://redis:6379 or memory://)',
    );
  }
  // SWITCHYARD_REGISTRY_PASSWORD (a Secret) completes a URL that has no password of its own.
  const registry = typeof registryOption === 'string' ? withRegistryCredentials(registryOption, env) : registryOption;
  const zone = options.zone ?? (env.SWITCHYARD_ZONE || undefined);
  if (zone !== undefined && !INSTANCE_LIMITS.zonePattern.test(zone)) {
    throw new InvalidArgumentError(options.zone !== undefined ? 'zone' : 'SWITCHYARD_ZONE', INSTANCE_LIMITS.zoneRule);
  }
  return {
    name,
    version: options.version ?? (env.SWITCHYARD_VERSION || undefined),
    registry,
    zone,
    metadata: metadataOf(options.metadata),
    advertiseHost: options.advertiseHost ?? (env.SWITCHYARD_ADVERTISE_HOST || env.POD_IP || undefined),
    listenHost: env.SWITCHYARD_LISTEN_HOST || '0.0.0.0',
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
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const parsed = Number(raw);
  assertInteger(variable, Number.isInteger(parsed) ? parsed : raw, min, max);
  return parsed;
}

/**
 * Registration metadata: an object of strings (a string given by mistake used to be spread into
 * `{ 0: 't', 1: 'r', … }` and registered as such). The registry checks keys and sizes.
 */
function metadataOf(metadata: unknown): Record<string, string> {
  if (metadata === undefined) return {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    throw new InvalidArgumentError('metadata', 'must be an object of string values, e.g. { track: "b" }');
  return { ...(metadata as Record<string, string>) };
}
