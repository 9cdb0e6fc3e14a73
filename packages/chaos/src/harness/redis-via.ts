/**
 * Where the scenarios' Redis comes from. They kill, restart and pause it, so a server given in
 * REDIS_URL (which cannot be broken from here) is never used: SWITCHYARD_TESTING_VIA=container or
 * binary is honoured, otherwise `auto` (container if a Docker engine answers, else redis-server),
 * or the binary when REDIS_URL is set.
 */
export function redisVia(): 'auto' | 'container' | 'binary' {
  const requested = process.env.SWITCHYARD_TESTING_VIA;
  if (requested === 'container' || requested === 'binary') return requested;
  return process.env.REDIS_URL ? 'binary' : 'auto';
}

/** The same for Sentinel and Cluster topologies (which never use REDIS_URL). */
export function topologyVia(): 'auto' | 'container' | 'binary' {
  const requested = process.env.SWITCHYARD_TESTING_VIA;
  return requested === 'container' || requested === 'binary' ? requested : 'auto';
}
