import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import {
  assertInteger,
  assertKnownKeys,
  assertObject,
  assertOneOf,
  assertPlainObject,
  assertString,
  describeValue,
} from '../validation/assert.js';
import { INSTANCE_LIMITS as L } from './instance-limits.js';
import type { InstanceInput, InstancePatch, InstanceStatus, ServiceInstance } from './service-instance.js';

const INSTANCE_KEYS = ['id', 'service', 'version', 'host', 'ports', 'zone', 'weight', 'metadata', 'status'] as const;
const PATCH_KEYS = ['status', 'weight', 'metadata', 'version'] as const;
const STATUSES: readonly InstanceStatus[] = ['up', 'draining'];

/** Validates a service name. `field` defaults to `'service'`. @throws InvalidArgumentError naming `field`. */
export function validateServiceName(service: unknown, field = 'service'): string {
  assertString(field, service, L.servicePattern, L.serviceRule);
  return service;
}

/** Validates an instance id. `field` defaults to `'id'`. @throws InvalidArgumentError naming `field`. */
export function validateInstanceId(id: unknown, field = 'id'): string {
  assertString(field, id, L.idPattern, L.idRule);
  return id;
}

/**
 * Validates a host: a host name or an IP literal (IPv6 bracketed or not). `field` defaults to `'host'`.
 * @throws InvalidArgumentError naming `field`.
 */
export function validateHost(host: unknown, field = 'host'): string {
  if (
    typeof host === 'string' &&
    (isIP(host) !== 0 || (host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)) === 6))
  ) {
    // A zone id (fe80::1%eth0) names an interface of one machine: meaningless to the others that
    // read the registry, and no URL can hold it (the HTTP client's origin threw "Invalid URL").
    if (host.includes('%'))
      throw new InvalidArgumentError(field, `must not have an IPv6 zone id, got ${JSON.stringify(host)}`);
    return host;
  }
  assertString(field, host, L.hostPattern, L.hostRule);
  // A name whose last label is a number is read as an IPv4 address by URL parsers (WHATWG):
  // 999.1.1.1 is then invalid, and 1.2.3 or 0x7f.1 quietly mean another address (1.2.0.3,
  // 127.0.0.1). Not one of the IP literals accepted above, so a typo: refused here, at register.
  if (NUMERIC_LAST_LABEL.test(host)) {
    throw new InvalidArgumentError(field, `is neither a valid IP address nor a host name, got ${JSON.stringify(host)}`);
  }
  return host;
}

/** The last label of a name, when it is a number in URL's IPv4 parser's eyes (decimal, 0x hex, octal). */
const NUMERIC_LAST_LABEL = /(^|\.)(0x[0-9a-f]*|[0-9]+)\.?$/i;

function validatePorts(field: string, ports: unknown): Record<string, number> {
  assertPlainObject(field, ports, 'an object of port numbers (e.g. { grpc: 50051 })');
  const names = Object.keys(ports);
  if (names.length === 0) throw new InvalidArgumentError(field, 'must name at least one port');
  if (names.length > L.maxPorts) throw new InvalidArgumentError(field, `must have at most ${L.maxPorts} ports`);
  const result: Record<string, number> = {};
  for (const name of names) {
    // At most 64 characters of a bad name, as for metadata keys: the whole of a 100 kB one went into the message.
    assertString(`${field}.${name.slice(0, 64)}`, name, L.portNamePattern, `port name ${L.portNameRule}`);
    const port = ports[name];
    assertInteger(`${field}.${name}`, port, 1, 65_535);
    result[name] = port;
  }
  return result;
}

/**
 * Validates instance metadata (a plain object of string values, by the limits in
 * {@link INSTANCE_LIMITS}) and returns a copy. A `Map` or a `Date` is refused, not read as `{}`.
 * `field` defaults to `'metadata'`.
 * @throws InvalidArgumentError naming `field` or `field.key`.
 */
export function validateMetadata(metadata: unknown, field = 'metadata'): Record<string, string> {
  assertPlainObject(field, metadata, 'an object of string values (e.g. { track: "b" })');
  const keys = Object.keys(metadata);
  if (keys.length > L.maxMetadataKeys) {
    throw new InvalidArgumentError(field, `must have at most ${L.maxMetadataKeys} keys, got ${keys.length}`);
  }
  let bytes = 0;
  const result: Record<string, string> = {};
  for (const key of keys) {
    assertString(`${field}.${key.slice(0, 64)}`, key, L.metadataKeyPattern, `key ${L.metadataKeyRule}`);
    const value = metadata[key];
    if (typeof value !== 'string') {
      throw new InvalidArgumentError(`${field}.${key}`, `must be a string, got ${describeValue(value)}`);
    }
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    if (bytes > L.maxMetadataBytes) {
      throw new InvalidArgumentError(field, `must total at most ${L.maxMetadataBytes} bytes of keys and values`);
    }
    result[key] = value;
  }
  return result;
}

function validatePatchFields(field: string, input: Record<string, unknown>, target: Record<string, unknown>): void {
  if (input.version !== undefined) {
    assertString(`${field}.version`, input.version, L.versionPattern, L.versionRule);
    target.version = input.version;
  }
  if (input.weight !== undefined) {
    assertInteger(`${field}.weight`, input.weight, L.minWeight, L.maxWeight);
    target.weight = input.weight;
  }
  if (input.metadata !== undefined) target.metadata = validateMetadata(input.metadata, `${field}.metadata`);
  if (input.status !== undefined) {
    assertOneOf(`${field}.status`, input.status, STATUSES);
    target.status = input.status;
  }
}

/**
 * Checks an instance as given to `register()` and returns a normalised, frozen copy with defaults
 * filled in. Unknown properties are rejected so that a typo never silently drops data.
 *
 * @param field - the name the errors use as the path's root. @default 'instance'
 * @throws InvalidArgumentError naming the first bad field (e.g. `instance.ports.grpc`) and the rule.
 */
export function validateInstance(input: unknown, field = 'instance'): ServiceInstance {
  assertObject(field, input);
  assertKnownKeys(field, input, INSTANCE_KEYS);
  const service = validateServiceName(input.service, `${field}.service`);
  const id =
    input.id === undefined
      ? `${service}-${randomBytes(6).toString('hex')}`
      : validateInstanceId(input.id, `${field}.id`);
  validateHost(input.host, `${field}.host`);
  const instance: Record<string, unknown> = {
    id,
    service,
    host: input.host,
    ports: validatePorts(`${field}.ports`, input.ports),
    weight: L.defaultWeight,
    metadata: {},
    status: 'up',
  };
  if (input.zone !== undefined) {
    assertString(`${field}.zone`, input.zone, L.zonePattern, L.zoneRule);
    instance.zone = input.zone;
  }
  validatePatchFields(field, input, instance);
  return freezeInstance(instance as unknown as ServiceInstance);
}

/**
 * Checks a patch for `Registration.update()`: only `status`, `weight`, `metadata` and `version`.
 * @param field - the name the errors use as the path's root. @default 'patch'
 * @throws InvalidArgumentError naming the bad field.
 */
export function validatePatch(input: unknown, field = 'patch'): InstancePatch {
  assertObject(field, input);
  assertKnownKeys(field, input, PATCH_KEYS);
  const patch: Record<string, unknown> = {};
  validatePatchFields(field, input, patch);
  return patch as InstancePatch;
}

/** Applies a validated patch to an instance and returns the new frozen instance. */
export function applyPatch(instance: ServiceInstance, patch: InstancePatch): ServiceInstance {
  return freezeInstance({ ...instance, ...patch });
}

function freezeInstance(instance: ServiceInstance): ServiceInstance {
  Object.freeze(instance.ports);
  Object.freeze(instance.metadata);
  return Object.freeze(instance);
}

/** Input type re-exported for convenience in validation call sites. */
export type { InstanceInput };
