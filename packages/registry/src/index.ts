/**
 * @switchyard/registry: where service instances announce themselves and where callers find them.
 *
 * Stance: the registry is the source of truth for *who exists*, never a single point of failure
 * for *calls*. Leases run on the Redis server's clock; heartbeats are one tiny round trip and heal
 * an entry that vanished; every mutation is one atomic script; changes are pushed and checked by
 * revision, so a missed message is repaired; an outage fails fast and heals itself. Callers keep
 * their last known view (see @switchyard/discovery) while the registry is away.
 *
 * @packageDocumentation
 */

// Contract
export type {
  Registry,
  Registration,
  RegistrationState,
  RegisterOptions,
  RegistryEvent,
  RegistryListener,
  SetRouteOptions,
} from './registry.js';
export type { CanaryRecord, CanaryRecordInput, CanaryRecordWrite } from './canary-record.js';
export { CANARY_RECORD_TTL_MS } from './canary-record.js';
export { createRegistry, validateRegistryUrl } from './create-registry.js';
export type { CreateRegistryOptions } from './create-registry.js';
export { TTL_LIMITS, validateNamespace } from './options.js';
export { RegistryClosedError, isRegistryClosedError } from './closed.js';

// In-memory backend
export { MemoryRegistry } from './memory/memory-registry.js';
export type { MemoryRegistryOptions } from './memory/memory-registry.js';
export { MemoryStore, namedMemoryStore } from './memory/memory-store.js';

// Redis backend
export { RedisRegistry, DEFAULT_REDIS_REGISTRY_OPTIONS } from './redis/redis-registry.js';
export { RegistryDataError } from './redis/data-error.js';
export type { RedisRegistryOptions } from './redis/redis-registry.js';
export type { RegistryOperation } from './redis/redis-connection.js';
export { serviceKeys, servicesKey } from './redis/keys.js';
export type { ServiceKeys } from './redis/keys.js';
export { parseRedisUrl, redactUrl } from './redis/connection-url.js';
export { withRegistryCredentials, REGISTRY_CREDENTIAL_VARIABLES } from './redis/registry-credentials.js';
export type { RedisTarget } from './redis/connection-url.js';
export { openRedis } from './redis/open-redis.js';
