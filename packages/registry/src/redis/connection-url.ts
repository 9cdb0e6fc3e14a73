import { InvalidArgumentError } from '@switchyard/core';

/** A parsed registry URL for the Redis backend. */
export type RedisTarget =
  | { kind: 'standalone'; url: string; tls: boolean }
  | {
      kind: 'sentinel';
      sentinels: { host: string; port: number }[];
      masterName: string;
      username?: string;
      password?: string;
      sentinelPassword?: string;
      db: number;
      tls: boolean;
    }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; username?: string; password?: string; tls: boolean };

const HOSTS = /^(?:(?<user>[^:@/]*)(?::(?<pass>[^@/]*))?@)?(?<hosts>[^/?#]+)(?<path>\/[^?#]*)?(?:\?(?<query>[^#]*))?$/;

/**
 * Parses the Redis registry URLs:
 * - `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS)
 * - `redis-sentinel://[user:pass@]h1:26379,h2:26379/<master-name>[?db=0&sentinelPassword=…&tls=true]`
 * - `redis-cluster://[user:pass@]h1:7000,h2:7001[?tls=true]`
 *
 * @throws InvalidArgumentError naming `url` (with the password masked) and what is wrong.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const scheme = url.slice(0, url.indexOf('://'));
  if (scheme === 'redis' || scheme === 'rediss') {
    try {
      new URL(url);
    } catch {
      throw new InvalidArgumentError('url', `is not a valid ${scheme}:// URL: ${redactUrl(url)}`);
    }
    return { kind: 'standalone', url, tls: scheme === 'rediss' };
  }
  if (scheme !== 'redis-sentinel' && scheme !== 'redis-cluster') {
    throw new InvalidArgumentError(
      'url',
      `unsupported scheme in ${redactUrl(url)}; expected redis://, rediss://, redis-sentinel:// or redis-cluster://`,
    );
  }
  const match = HOSTS.exec(url.slice(scheme.length + 3));
  if (!match?.groups) throw new InvalidArgumentError('url', `cannot parse ${redactUrl(url)}`);
  const { user, pass, hosts = '', path = '', query = '' } = match.groups;
  const params = new URLSearchParams(query);
  const nodes = hosts
    .split(',')
    .map((hostPort) => parseHostPort(hostPort, scheme === 'redis-sentinel' ? 26379 : 6379, url));
  const credentials = {
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(pass ? { password: decodeURIComponent(pass) } : {}),
  };
  const tls = params.get('tls') === 'true';
  if (scheme === 'redis-cluster') return { kind: 'cluster', nodes, tls, ...credentials };
  const masterName = decodeURIComponent(path.replace(/^\//, ''));
  if (!masterName)
    throw new InvalidArgumentError('url', `redis-sentinel:// needs the master name as its path: ${redactUrl(url)}`);
  const db = Number(params.get('db') ?? 0);
  if (!Number.isInteger(db) || db < 0)
    throw new InvalidArgumentError('url', `db must be a non-negative integer in ${redactUrl(url)}`);
  const sentinelPassword = params.get('sentinelPassword') ?? undefined;
  return {
    kind: 'sentinel',
    sentinels: nodes,
    masterName,
    db,
    tls,
    ...credentials,
    ...(sentinelPassword ? { sentinelPassword } : {}),
  };
}

function parseHostPort(hostPort: string, defaultPort: number, url: string): { host: string; port: number } {
  const match = /^(?<host>\[[^\]]+\]|[^:]+)(?::(?<port>\d+))?$/.exec(hostPort.trim());
  const port = Number(match?.groups?.port ?? defaultPort);
  if (!match?.groups?.host || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InvalidArgumentError('url', `bad host:port "${hostPort}" in ${redactUrl(url)}`);
  }
  return { host: match.groups.host.replace(/^\[|\]$/g, ''), port };
}

/** The URL with any password replaced by `***`, safe for logs and error messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:@/]*:)[^@/]*@/, '$1***@').replace(/(sentinelPassword=)[^&]*/, '$1***');
}
