import {
  assertInteger,
  assertKnownKeys,
  assertLogger,
  assertObject,
  describeValue,
  InvalidArgumentError,
  type Logger,
  silentLogger,
} from '@switchyard/core';
import { isIP } from 'node:net';
import type { Registry } from '@switchyard/registry';
import type { LeaseInspector } from '../registry/lease-inspector.js';
import { DEFAULT_SERVICE_HUB_OPTIONS } from './service-hub.js';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  readonly registry: Registry;
  /** Reads instance ages and lease expiry from Redis; without it those columns show `-`. */
  readonly inspector?: LeaseInspector | undefined;
  /** @default 7070; 0 picks a free port */
  readonly port?: number;
  /** Interface to bind. Anything but loopback exposes the registry's contents to the network. @default '127.0.0.1' */
  readonly host?: string;
  /** Shown in the page title and header, e.g. the (password-masked) registry URL. @default '' */
  readonly title?: string;
  /** @default 1_000 */
  readonly servicesPollMs?: number;
  /** @default 2_000 */
  readonly leaseRefreshMs?: number;
  /** SSE keep-alive comment interval. @default 15_000 */
  readonly keepAliveMs?: number;
  /**
   * DNS names, besides loopback names, IP addresses and the bound host, that the dashboard answers
   * to in the Host header (say, `dashboard.internal` when bound to 0.0.0.0 behind that name). Any
   * other name is refused (403), which keeps a web page the operator visits from reading the
   * registry through DNS rebinding. Names only, no port (the check holds on any port): a
   * `name:port`, or anything that is not a host name or an IP address, is refused. @default []
   */
  readonly allowedHosts?: readonly string[];
  /** Event streams open at once; more are refused (503). @default 64 */
  readonly maxStreams?: number;
  /** Bytes an event stream may have queued for a client that stopped reading before it is closed. @default 1 MiB */
  readonly maxStreamBufferBytes?: number;
  /**
   * Pino-compatible logger, told at warn level of a service that cannot be watched (it is left out
   * of the page, the others still shown, and tried again at every service poll). @default silentLogger
   */
  readonly logger?: Logger;
}

/** Defaults of {@link DashboardOptions}. */
export const DEFAULT_DASHBOARD_OPTIONS = Object.freeze({
  port: 7070,
  host: '127.0.0.1',
  title: '',
  ...DEFAULT_SERVICE_HUB_OPTIONS,
  keepAliveMs: 15_000,
  allowedHosts: Object.freeze([]) as readonly string[],
  maxStreams: 64,
  maxStreamBufferBytes: 1024 * 1024,
  logger: silentLogger,
});

/** {@link DashboardOptions} checked, with every default filled in. */
export type ResolvedDashboardOptions = Required<Omit<DashboardOptions, 'inspector'>> &
  Pick<DashboardOptions, 'inspector'>;

const OPTION_KEYS = ['registry', 'inspector', ...Object.keys(DEFAULT_DASHBOARD_OPTIONS)];
/** Intervals are at least this long: 0 (or less) polled the registry in a busy loop. */
const MIN_INTERVAL_MS = 10;
const MAX_INTERVAL_MS = 86_400_000;

/**
 * Checks the options of `startDashboard` and fills in the defaults; an option given as `undefined`
 * (`host: process.env.DASHBOARD_HOST`) takes its default. Each bad option used to surface late or
 * not at all: a missing registry as a TypeError, `port: 'abc'` as a server "listening" on
 * `http://127.0.0.1:abc/`, `allowedHosts: 'name'` as one allowed name per character (the name
 * itself refused), `servicesPollMs: 0` as a busy loop of service lists, a misspelt option ignored.
 * @throws InvalidArgumentError naming the option.
 */
export function resolveDashboardOptions(options: DashboardOptions): ResolvedDashboardOptions {
  assertObject('options', options);
  assertKnownKeys('options', options, OPTION_KEYS);
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const resolved = { ...DEFAULT_DASHBOARD_OPTIONS, ...given } as ResolvedDashboardOptions;
  assertHas('registry', resolved.registry, ['services', 'watch'], 'a Registry (e.g. createRegistry(url))');
  if (resolved.inspector !== undefined) {
    assertHas('inspector', resolved.inspector, ['leases', 'onServiceActivity'], 'a LeaseInspector');
  }
  assertInteger('port', resolved.port, 0, 65_535);
  if (typeof resolved.host !== 'string' || resolved.host.trim() === '') {
    // Node binds every interface for an empty host: the opposite of what an empty value suggests.
    throw new InvalidArgumentError('host', 'must not be empty: an address or host name to bind (default 127.0.0.1)');
  }
  if (typeof resolved.title !== 'string') {
    throw new InvalidArgumentError('title', `must be a string, got ${describeValue(resolved.title)}`);
  }
  for (const name of ['servicesPollMs', 'leaseRefreshMs', 'keepAliveMs'] as const) {
    assertInteger(name, resolved[name], MIN_INTERVAL_MS, MAX_INTERVAL_MS);
  }
  assertLogger('logger', resolved.logger);
  assertInteger('maxStreams', resolved.maxStreams, 1, 100_000);
  assertInteger('maxStreamBufferBytes', resolved.maxStreamBufferBytes, 1, 1024 * 1024 * 1024);
  if (!Array.isArray(resolved.allowedHosts)) {
    throw new InvalidArgumentError(
      'allowedHosts',
      `must be an array of host names, got ${describeValue(resolved.allowedHosts)}`,
    );
  }
  resolved.allowedHosts.forEach((name, index) => {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new InvalidArgumentError(`allowedHosts[${index}]`, `must be a host name, got ${describeValue(name)}`);
    }
    const problem = allowedHostProblem(name);
    if (problem) {
      throw new InvalidArgumentError(
        `allowedHosts[${index}]`,
        problem.withoutPort === undefined
          ? `${problem.rule}, got ${describeValue(name)}`
          : `must be a host name without a port (${JSON.stringify(problem.withoutPort)}): it is allowed on any port, got ${describeValue(name)}`,
      );
    }
  });
  return resolved;
}

/** A DNS name: labels of letters, digits, `-` and `_`, separated by dots (a trailing dot allowed). */
const HOST_NAME = /^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*\.?$/i;

/**
 * Why an allowed host name could never match the Host check (which compares the name, on any port),
 * or undefined for a good one: a DNS name or an IP address. `withoutPort` is the name to give instead
 * of `name:port` (`dash.internal:7070`), which used to be taken and then matched no request.
 */
export function allowedHostProblem(name: string): { rule: string; withoutPort?: string } | undefined {
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  if (isIP(bare) !== 0 || HOST_NAME.test(name)) return undefined;
  const port = /^(.+):(\d{1,5})$/.exec(name);
  if (port && allowedHostProblem(port[1] as string) === undefined) return { rule: 'no port', withoutPort: port[1] };
  return { rule: "must be a host name (letters, digits, '-', '_' and dots) or an IP address" };
}

/** Asserts an object with the given methods (what the dashboard calls on it). */
function assertHas(field: string, value: unknown, methods: readonly string[], what: string): void {
  const candidate = value as Record<string, unknown> | null | undefined;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    methods.some((name) => typeof candidate[name] !== 'function')
  ) {
    throw new InvalidArgumentError(field, `must be ${what}, got ${describeValue(value)}`);
  }
}
