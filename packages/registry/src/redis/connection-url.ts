import { describeValue, InvalidArgumentError } from '@switchyard/core';

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

/**
 * `[user[:pass]@]hosts[/path][?query]`. The user info runs to the *last* '@' before the path or
 * query, as in a standalone URL (WHATWG `URL`, which ioredis reads too): a password holding an
 * unescaped '@' was cut at its first one, and the rest of it taken for the first host's name (so it
 * appeared in DNS errors and logs, which mask only the user info) while a wrong password was sent.
 */
const HOSTS =
  /^(?:(?<user>[^:@/?#]*)(?::(?<pass>[^/?#]*))?@)?(?<hosts>[^@/?#]+)(?<path>\/[^?#]*)?(?:\?(?<query>[^#]*))?$/;

/**
 * Parses the Redis registry URLs:
 * - `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS)
 * - `redis-sentinel://[user:pass@]h1:26379,h2:26379/<master-name>[?db=0&sentinelPassword=…&tls=true]`
 * - `redis-cluster://[user:pass@]h1:7000,h2:7001[?tls=true]`
 *
 * @throws InvalidArgumentError naming `url` (with the password masked) and what is wrong.
 */
export function parseRedisUrl(url: string): RedisTarget {
  assertUrlString(url);
  const scheme = url.slice(0, url.indexOf('://'));
  if (scheme === 'redis' || scheme === 'rediss') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidArgumentError('url', `is not a valid ${scheme}:// URL: ${redactUrl(url)}`);
    }
    // ioredis decodes these itself and would throw a URIError on a malformed escape.
    decode(parsed.username, url);
    decode(parsed.password, url);
    // ioredis reads the path as the db number; anything else became NaN: writes went to db 0 and
    // every (re)connect raised an unhandled SELECT error.
    const db = parsed.pathname.replace(/^\//, '');
    if (db !== '' && !/^\d{1,5}$/.test(db)) {
      throw new InvalidArgumentError(
        'url',
        `the path of ${redactUrl(url)} must be a db number (e.g. /0), got ${JSON.stringify(db)}`,
      );
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
  const params = queryParams(query, url);
  checkParameters(scheme, params, url);
  const nodes = hosts
    .split(',')
    .map((hostPort) => parseHostPort(hostPort, scheme === 'redis-sentinel' ? 26379 : 6379, url));
  const credentials = {
    ...(user ? { username: decode(user, url) } : {}),
    ...(pass ? { password: decode(pass, url) } : {}),
  };
  const tls = params.get('tls') === 'true';
  if (scheme === 'redis-cluster') {
    // Cluster has only db 0: a db in the path was ignored, and writes meant for a db of their own
    // went to db 0, beside whatever else lives there.
    if (path !== '' && path !== '/' && path !== '/0') {
      throw new InvalidArgumentError(
        'url',
        `redis-cluster:// takes no path (Redis Cluster has only db 0), got ${JSON.stringify(path)} in ${redactUrl(url)}`,
      );
    }
    return { kind: 'cluster', nodes, tls, ...credentials };
  }
  const masterName = decode(path.replace(/^\//, ''), url);
  if (!masterName)
    throw new InvalidArgumentError('url', `redis-sentinel:// needs the master name as its path: ${redactUrl(url)}`);
  // The same rule as a standalone URL's path: Number() also took '1e3', '0x10' and huge values.
  const rawDb = params.get('db') ?? '0';
  if (!/^\d{1,5}$/.test(rawDb))
    throw new InvalidArgumentError('url', `db must be a db number (0-99999) in ${redactUrl(url)}`);
  const db = Number(rawDb);
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

/** The query parameters each form reads (by exact name): everything else in its query is ignored. */
const PARAMETERS_TAKEN: Record<'redis-sentinel' | 'redis-cluster', readonly string[]> = {
  'redis-sentinel': ['db', 'sentinelPassword', 'tls'],
  'redis-cluster': ['tls'],
};

/** Names that mean TLS or a database to someone, in any case (see {@link checkParameters}). */
const TLS_OR_DB_PARAMETER = /^(?:tls|ssl|db|database)$/i;

/**
 * Refuses a query parameter that this form would drop although it means a password, TLS or a
 * database (`sentinelpassword`, `SentinelPassword`, `password`, `TLS`, a Cluster `db`), and a `tls`
 * other than `true` or `false`. Dropped, the client connected without the password, in plaintext
 * or on db 0, and failed later (NOAUTH, a reset) far from the cause. Other parameters mean nothing
 * here and are still ignored. The value is never shown (it may be a password).
 */
function checkParameters(scheme: 'redis-sentinel' | 'redis-cluster', params: Map<string, string>, url: string): void {
  const taken = PARAMETERS_TAKEN[scheme];
  for (const key of params.keys()) {
    if (taken.includes(key) || !(PASSWORD_LIKE_PARAMETER.test(key) || TLS_OR_DB_PARAMETER.test(key))) continue;
    const where = PASSWORD_LIKE_PARAMETER.test(key)
      ? `; the Redis password goes in the user info (${scheme}://:<password>@…)${scheme === 'redis-sentinel' ? ", Sentinel's in sentinelPassword" : ''}`
      : '';
    throw new InvalidArgumentError(
      'url',
      `${scheme}:// takes no query parameter ${JSON.stringify(key)} (it would be ignored); it reads ${taken.join(', ')} (exactly so spelt)${where}: ${redactUrl(url)}`,
    );
  }
  const tls = params.get('tls');
  if (tls !== undefined && tls !== 'true' && tls !== 'false') {
    throw new InvalidArgumentError('url', `the query parameter "tls" must be true or false in ${redactUrl(url)}`);
  }
}

/**
 * Both entry points take the URL as a string: anything else (a URL object, a config value left
 * undefined) threw a raw TypeError from `.slice`/`.indexOf`. The value is described, not shown:
 * a URL object would print its password.
 */
function assertUrlString(url: unknown): asserts url is string {
  if (typeof url !== 'string') {
    const hint = url instanceof URL ? ' (a URL object: pass its .href)' : '';
    throw new InvalidArgumentError(
      'url',
      `must be a string such as redis://host:6379, got ${describeValue(url)}${hint}`,
    );
  }
}

function parseHostPort(hostPort: string, defaultPort: number, url: string): { host: string; port: number } {
  const match = /^(?<host>\[[^\]]+\]|[^:]+)(?::(?<port>\d+))?$/.exec(hostPort.trim());
  const port = Number(match?.groups?.port ?? defaultPort);
  if (!match?.groups?.host || /\s/.test(match.groups.host) || !Number.isInteger(port) || port < 1 || port > 65_535) {
    // The raw token is not echoed: with a mangled URL it may hold part of a password.
    throw new InvalidArgumentError('url', `has a bad host:port in ${redactUrl(url)}`);
  }
  return { host: match.groups.host.replace(/^\[|\]$/g, ''), port };
}

/**
 * The URL with any credentials masked, safe for logs and error messages: everything between the
 * scheme and the last `@` of the authority becomes `user:***` (passwords may themselves contain
 * `@` or `/`), and the value of every password-like query parameter (`password`,
 * `sentinelPassword`, in any case, see {@link PASSWORD_LIKE_PARAMETER}) becomes `***`; the rest of
 * the URL is kept.
 * @throws InvalidArgumentError naming `url` when it is not a string.
 */
export function redactUrl(url: string): string {
  assertUrlString(url);
  const schemeEnd = url.indexOf(':');
  if (schemeEnd < 0) return url.includes('@') ? '***' : redactQuery(url);
  let rest = url.slice(schemeEnd + 1);
  const slashes = /^\/*/.exec(rest)?.[0] ?? '';
  rest = rest.slice(slashes.length);
  // Everything up to the last '@' is user info: a password may itself hold '@', '/', '?' or '#'.
  // (A query value with '@' gets masked too: the safe direction.)
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userInfo = rest.slice(0, at);
    const colon = userInfo.indexOf(':');
    const user = colon >= 0 ? userInfo.slice(0, colon) : '';
    rest = `${/^[A-Za-z0-9._%-]*$/.test(user) ? user : ''}:***${rest.slice(at)}`;
  }
  return `${url.slice(0, schemeEnd + 1)}${slashes}${redactQuery(rest)}`;
}

/**
 * Query parameter names whose values are secrets. ioredis takes every query parameter of a
 * redis:// URL as a client option, so `?password=…` logs in as surely as the user info does (and
 * used to be printed in full); the keys are matched in any case, and anything naming a pass,
 * secret or token is masked rather than guessed safe.
 */
const PASSWORD_LIKE_PARAMETER = /pass|secret|token/i;

/**
 * `rest` (the URL after its scheme, user info already masked) with the value of every
 * password-like query parameter masked. A masked value runs to the next `&`, a `#` included: with
 * `?password=ab#cd` the password meant is `ab#cd`, and a fragment has no meaning in a Redis URL.
 */
function redactQuery(rest: string): string {
  const start = rest.indexOf('?');
  if (start < 0) return rest;
  const parameters = rest
    .slice(start + 1)
    .split('&')
    .map((parameter) => {
      const eq = parameter.indexOf('=');
      if (eq < 0 || !PASSWORD_LIKE_PARAMETER.test(decodeLeniently(parameter.slice(0, eq)))) return parameter;
      return `${parameter.slice(0, eq)}=***`;
    });
  return `${rest.slice(0, start + 1)}${parameters.join('&')}`;
}

/** A %-decoded query key (`%70assword` is `password` to ioredis), or the raw key when malformed. */
function decodeLeniently(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/**
 * The query's parameters (the first of a repeated one wins), values %-decoded like the user info:
 * URLSearchParams decodes form data, where '+' is a space, so a `sentinelPassword` holding '+'
 * (as generated and base64 secrets often do) reached Sentinel with a space instead.
 */
function queryParams(query: string, url: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq), url);
    if (!params.has(key)) params.set(key, decode(eq < 0 ? '' : pair.slice(eq + 1), url));
  }
  return params;
}

/** decodeURIComponent that reports a malformed escape as a bad `url`, never a URIError. */
function decode(value: string, url: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new InvalidArgumentError('url', `has a malformed %-escape: ${redactUrl(url)}`);
  }
}
