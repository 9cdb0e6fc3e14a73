/**
 * `@switchyard/testing`: a real Redis for every integration test, never a mock.
 *
 * A registry that passes against a mocked client has only proved it calls the mock. Tests here get a real
 * server on a free 127.0.0.1 port and the levers to break it the way production breaks: kill it (connections
 * reset), pause it (connections hang), restart it empty, lose a Sentinel master, spread keys over a Cluster.
 *
 * Where Redis comes from, in order: `REDIS_URL` (standalone only, cannot be broken), a Docker engine through
 * testcontainers (host networking, image `SWITCHYARD_REDIS_IMAGE` or `redis:7`), or `redis-server` on PATH.
 * `SWITCHYARD_TESTING_VIA=env|container|binary` or the `via` option forces one; each start logs the path taken.
 * Nothing persists, nothing binds beyond loopback, every wait is bounded, and whatever a test forgets to stop
 * is removed when the process exits.
 */

// Standalone
export { startRedis, DEFAULT_START_REDIS_OPTIONS } from './start-redis.js';
export type { StartRedisOptions } from './start-redis.js';
export type { RedisServerHandle } from './redis-server-handle.js';

// Sentinel
export { startRedisSentinel, DEFAULT_START_REDIS_SENTINEL_OPTIONS } from './start-redis-sentinel.js';
export type { StartRedisSentinelOptions } from './start-redis-sentinel.js';
export type { RedisSentinelHandle, RedisEndpoint } from './redis-sentinel-handle.js';

// Cluster
export { startRedisCluster, DEFAULT_START_REDIS_CLUSTER_OPTIONS } from './start-redis-cluster.js';
export type { StartRedisClusterOptions } from './start-redis-cluster.js';
export type { RedisClusterHandle } from './redis-cluster-handle.js';

// Environment
export { dockerAvailable, DEFAULT_DOCKER_AVAILABLE_OPTIONS } from './docker-available.js';
export type { DockerAvailableOptions } from './docker-available.js';
export type { RedisVia, RedisViaOption } from './via.js';

// Processes
export { processAlive } from './process-alive.js';

// A TCP proxy for tests of moved addresses and broken connections
export { startTcpProxy } from './tcp-proxy.js';
export type { TcpProxy } from './tcp-proxy.js';

// Errors
export { SwitchyardTestingError } from './testing-error.js';
export type { TestingErrorCode } from './testing-error.js';
