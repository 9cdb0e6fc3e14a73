import { InvalidArgumentError } from '@switchyard/core';
import { parseRedisUrl, redactUrl } from './connection-url.js';

/** The environment variables {@link withRegistryCredentials} reads. */
export const REGISTRY_CREDENTIAL_VARIABLES = Object.freeze({
  username: 'SWITCHYARD_REGISTRY_USERNAME',
  password: 'SWITCHYARD_REGISTRY_PASSWORD',
});

const REDIS_SCHEMES = ['redis', 'rediss', 'redis-sentinel', 'redis-cluster'];

/**
 * A registry URL with the credentials of `SWITCHYARD_REGISTRY_PASSWORD` (and, for a Redis ACL
 * user, `SWITCHYARD_REGISTRY_USERNAME`) written into it, %-escaped, when the URL carries no
 * password of its own.
 *
 * Why separate variables: in Kubernetes the URL belongs in a ConfigMap and the password in a
 * Secret, and a password given on its own needs no URL escaping by whoever sets it (a `@`, `/` or
 * `%` in it would otherwise break the URL). A password already in the URL wins, so an explicit
 * `--registry redis://:pw@host` means what it says. `memory://` URLs take no credentials and come
 * back unchanged; so does every URL when neither variable is set. Both variables are read like every
 * other `SWITCHYARD_*` one: trimmed of leading and trailing whitespace (a newline from an env file
 * or a Secret's file is never part of the password), and blank is unset.
 *
 * @throws InvalidArgumentError naming `SWITCHYARD_REGISTRY_USERNAME` when a username is set with no
 *   password to go with it, or the URL already names another user; the URL itself is checked (as
 *   `url`) only when credentials are added.
 * @example
 * ```ts
 * // SWITCHYARD_REGISTRY_URL=redis://redis:6379, SWITCHYARD_REGISTRY_PASSWORD from a Secret
 * const registry = createRegistry(withRegistryCredentials(process.env.SWITCHYARD_REGISTRY_URL!));
 * ```
 */
export function withRegistryCredentials(
  url: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  // Trimmed, blank is unset, like every SWITCHYARD_* variable: a value from an env file or a
  // Secret made with `echo pw > file` carries a newline or spaces that were never the password
  // (it failed with WRONGPASS only once the servers had started). Inner spaces are kept; a
  // password that really starts or ends with a space goes in the URL, %-escaped, taken as is.
  const password = env[REGISTRY_CREDENTIAL_VARIABLES.password]?.trim() || undefined;
  const username = env[REGISTRY_CREDENTIAL_VARIABLES.username]?.trim() || undefined;
  if (password === undefined && username === undefined) return url;
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0 || !REDIS_SCHEMES.includes(url.slice(0, schemeEnd))) return url;
  if (password === undefined) {
    // Redis ACL users without a password are possible, but a username alone here is far more
    // likely a Secret that failed to mount: say so instead of connecting unauthenticated.
    throw new InvalidArgumentError(
      REGISTRY_CREDENTIAL_VARIABLES.username,
      `is set but ${REGISTRY_CREDENTIAL_VARIABLES.password} is not (or is empty); set both, or put the credentials in the URL`,
    );
  }
  const own = ownCredentials(url);
  if (own.password !== undefined) return url;
  if (username !== undefined && own.username !== undefined && own.username !== username) {
    throw new InvalidArgumentError(
      REGISTRY_CREDENTIAL_VARIABLES.username,
      `names user "${username}" but the registry URL ${redactUrl(url)} names another; drop one of them`,
    );
  }
  const user = own.username ?? username ?? '';
  const rest = url.slice(schemeEnd + 3);
  // With no password in it, the user info (if any) ends at the first '@' of the authority.
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const at = authority.indexOf('@');
  const hostsOnward = at < 0 ? rest : rest.slice(at + 1);
  return `${url.slice(0, schemeEnd + 3)}${encodeURIComponent(user)}:${encodeURIComponent(password)}@${hostsOnward}`;
}

/** The username and password a Redis URL carries itself (decoded), if any. */
function ownCredentials(url: string): { username?: string; password?: string } {
  const target = parseRedisUrl(url);
  if (target.kind !== 'standalone') {
    return {
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
    };
  }
  // parseRedisUrl has already checked that this parses and that the escapes decode.
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}
