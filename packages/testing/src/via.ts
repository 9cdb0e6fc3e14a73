/** Where a Redis came from: an external server (`REDIS_URL`), a Docker container, or a local `redis-server`. */
export type RedisVia = 'env' | 'container' | 'binary';

/**
 * Which path to take. `auto` tries `REDIS_URL`, then a Docker engine, then a `redis-server` binary.
 * The environment variable `SWITCHYARD_TESTING_VIA` gives the default.
 * @default 'auto'
 */
export type RedisViaOption = 'auto' | RedisVia;
