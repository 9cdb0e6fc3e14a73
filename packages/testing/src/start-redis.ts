import { withDefaults } from './internal/with-defaults.js';
import { EnvServerHandle } from './internal/env-server-handle.js';
import { findOnPath } from './internal/find-on-path.js';
import { logLine } from './internal/log-line.js';
import { NodeServerHandle } from './internal/node-server-handle.js';
import { redisImage } from './internal/redis-image.js';
import { resolveVia } from './internal/resolve-via.js';
import { startNode } from './internal/start-node.js';
import { freePorts } from './internal/free-ports.js';
import { withPortAttempts } from './internal/port-attempts.js';
import { requireInteger, requireKnownOptions } from './internal/validate.js';
import type { RedisServerHandle } from './redis-server-handle.js';
import { SwitchyardTestingError } from './testing-error.js';
import type { RedisViaOption } from './via.js';

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /**
   * Extra `redis-server` arguments, after ours (so they win): `['--maxmemory', '10mb']`.
   * Not allowed with `via: 'env'`; in `auto` mode they make the REDIS_URL path be skipped.
   * `--port`, `--daemonize` and `--requirepass` (use `password`) are refused (`INVALID_ARGUMENT`): the server
   * must stay on the port the handle names, as a process (or container) the handle can stop, kill and restart.
   * An argument holding a NUL byte is refused too (`INVALID_ARGUMENT`).
   * @default []
   */
  args?: string[];
  /**
   * Sets `requirepass`; the handle's `url` then carries it. Same rules as `args` for REDIS_URL. A NUL byte in
   * it is refused (`INVALID_ARGUMENT`).
   * @default undefined (no password)
   */
  password?: string;
  /**
   * Where Redis comes from. `auto`: `REDIS_URL` if set, else a container if a Docker engine answers, else the
   * `redis-server` binary. Defaults to `SWITCHYARD_TESTING_VIA` when that is set.
   * @default 'auto'
   */
  via?: RedisViaOption;
  /**
   * Bound on "started and answering PING" (container creation gets 15 s on top).
   * @default 10_000
   */
  startupTimeoutMs?: number;
}

/** Defaults of {@link startRedis}. */
export const DEFAULT_START_REDIS_OPTIONS = Object.freeze({ args: [] as readonly string[], startupTimeoutMs: 10_000 });

/**
 * Starts a standalone Redis on a free 127.0.0.1 port (no persistence) and resolves once it answers PING.
 * Logs one line on stderr naming the path taken.
 *
 * @throws SwitchyardTestingError with code `INVALID_ARGUMENT` (an option out of range or unknown),
 * `NOT_AVAILABLE` (the path asked for is not there), `START_FAILED`, `PORT_TAKEN` (every attempt lost
 * its port) or `TIMEOUT` (not ready within `startupTimeoutMs`).
 * @example
 * const redis = await startRedis();
 * const client = new Redis(redis.url);
 * await redis.kill();      // clients see ECONNRESET / ECONNREFUSED
 * await redis.restart();   // same port, empty data
 * await redis.stop();
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServerHandle> {
  requireKnownOptions('startRedis', options, ['args', 'password', 'via', 'startupTimeoutMs']);
  const resolved = withDefaults(DEFAULT_START_REDIS_OPTIONS, options);
  requireInteger('startupTimeoutMs', resolved.startupTimeoutMs, 1, 600_000);
  if (!Array.isArray(resolved.args) || resolved.args.some((arg) => typeof arg !== 'string')) {
    throw new SwitchyardTestingError('INVALID_ARGUMENT', 'args must be an array of strings');
  }
  // A NUL byte cannot be passed to a process: Node's spawn threw its own TypeError naming "args[9]" of
  // the internal redis-server command line (for a NUL in the password too), not the option.
  for (const [index, arg] of resolved.args.entries()) requireNoNul(`args[${index}]`, arg);
  requireControllableArgs(resolved.args);
  if (resolved.password !== undefined && (typeof resolved.password !== 'string' || resolved.password === '')) {
    throw new SwitchyardTestingError('INVALID_ARGUMENT', 'password must be a non-empty string');
  }
  if (resolved.password !== undefined) requireNoNul('password', resolved.password);
  const configurable = resolved.args.length === 0 && resolved.password === undefined;
  if (resolved.via === 'env' && !configurable) {
    throw new SwitchyardTestingError(
      'INVALID_ARGUMENT',
      `via: 'env' cannot apply args or password to the server at REDIS_URL; use via: 'binary' or 'container'`,
    );
  }

  const { via, reason } = configurable ? await resolveVia(resolved.via, true) : await resolveVia(resolved.via, false);
  if (via === 'env') {
    const handle = new EnvServerHandle(process.env.REDIS_URL as string);
    await handle.verify(resolved.startupTimeoutMs);
    logLine(`redis via env REDIS_URL ${handle.redactedUrl} (${reason})`);
    return handle;
  }

  // A free port is chosen, then bound by the server: another process may take it in between
  // (PORT_TAKEN). Another port is then tried, a bounded number of times.
  const node = await withPortAttempts('redis', async () => {
    const [port] = (await freePorts(1)) as [number];
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    if (resolved.password !== undefined) args.push('--requirepass', resolved.password);
    args.push(...resolved.args);
    return startNode(via, {
      label: 'redis',
      kind: 'server',
      port,
      args,
      password: resolved.password,
      startupTimeoutMs: resolved.startupTimeoutMs,
    });
  });
  const source = via === 'container' ? redisImage() : (findOnPath('redis-server') ?? 'redis-server');
  logLine(`redis via ${via} ${source} on 127.0.0.1:${node.spec.port} (${reason})`);
  return new NodeServerHandle(node, via, resolved.password);
}

/** Throws `INVALID_ARGUMENT` naming `name` when `value` holds a NUL byte, which no process argument can carry. */
function requireNoNul(name: string, value: string): void {
  if (value.includes('\0')) {
    throw new SwitchyardTestingError('INVALID_ARGUMENT', `${name} must not contain a NUL byte (\\0)`);
  }
}

/** Options `args` may not set, and why: the handle would no longer reach or own the server. */
const UNCONTROLLABLE_OPTIONS: Readonly<Record<string, string>> = {
  port: 'the server runs on the free port chosen for it (read it from handle.port)',
  daemonize: 'the server must stay a process (or container) the handle stops, kills and restarts',
  requirepass: 'use the password option, which the readiness check and handle.url then carry',
};

/**
 * Refuses `args` that take the server out of the handle's hands. `--daemonize yes` forked a server that
 * nothing tracked: the start failed (the child exited at once) and the daemon outlived the test process.
 * `--port` moved it off the chosen port, and `--requirepass` made it answer the readiness PING with NOAUTH:
 * both timed out after `startupTimeoutMs`.
 */
function requireControllableArgs(args: readonly string[]): void {
  for (const arg of args) {
    if (!arg.startsWith('--')) continue;
    // redis-server reads `--name value` and `--name` followed by its value as the same config line, and
    // config names in any case.
    const name = (arg.slice(2).trim().split(/\s+/, 1)[0] as string).toLowerCase();
    const why = UNCONTROLLABLE_OPTIONS[name];
    if (why !== undefined) {
      throw new SwitchyardTestingError('INVALID_ARGUMENT', `args must not set --${name}: ${why}`);
    }
  }
}
