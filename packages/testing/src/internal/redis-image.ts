/** The image containers run: `SWITCHYARD_REDIS_IMAGE` (read at each start), else `redis:7`. */
export function redisImage(): string {
  return process.env.SWITCHYARD_REDIS_IMAGE || 'redis:7';
}
