import { isIP } from 'node:net';
import { InvalidArgumentError, type Logger } from '@switchyard/core';

/**
 * Which hosts registry entries may point callers at: exact names or IPs, wildcard domains
 * (`*.svc.cluster.local`), or IPv4 CIDR ranges (`10.0.0.0/8`). A registry is shared state: with an
 * allow-list, an entry written by someone who can write to Redis cannot send this client's
 * requests (and their credentials, tokens, data) to a host outside the list.
 */
export type AllowedHosts = readonly string[];

/**
 * How many refused `id@host` pairs a predicate remembers having warned about. Ids are unique per
 * process registration, so a refused deployment that restarts (or a writer that keeps adding
 * entries) brings new ones for good: a set of every pair ever warned about grew without end. Past
 * this many it starts over, so a pair still in the registry is warned about once more then.
 */
export const MAX_REMEMBERED_HOST_WARNINGS = 1_024;

/** A compiled allow-list: whether `host` (of the instance `id`) is allowed. */
export interface HostCheck {
  (host: string, id: string): boolean;
  /** Refused `id@host` pairs remembered as warned about (at most {@link MAX_REMEMBERED_HOST_WARNINGS}). */
  readonly rememberedWarnings: number;
}

/** Compiles an allow-list into a predicate; validates every entry (field `allowedHosts[i]`). */
export function compileAllowedHosts(allowed: AllowedHosts | undefined, logger: Logger): HostCheck | undefined {
  if (allowed === undefined) return undefined;
  if (!Array.isArray(allowed) || allowed.length === 0) {
    throw new InvalidArgumentError('allowedHosts', 'must be a non-empty array of hosts, *.domains or IPv4 CIDRs');
  }
  const exact = new Set<string>();
  const suffixes: string[] = [];
  const ranges: [number, number][] = [];
  allowed.forEach((entry, index) => {
    const field = `allowedHosts[${index}]`;
    if (typeof entry !== 'string' || entry.length === 0)
      throw new InvalidArgumentError(field, 'must be a non-empty string');
    if (entry.startsWith('*.')) suffixes.push(entry.slice(1).toLowerCase());
    else if (entry.includes('/')) {
      // Exactly `a.b.c.d/n` with n in decimal digits: Number('') is 0, so '10.0.0.0/' (a typo)
      // was read as /0 and let every IPv4 host through; '/8/9', '/ 8' and '/0x8' were accepted too.
      const [address = '', bitsText = '', ...extra] = entry.split('/');
      const bits = /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : Number.NaN;
      if (extra.length > 0 || isIP(address) !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32) {
        throw new InvalidArgumentError(field, `must be an IPv4 CIDR such as 10.0.0.0/8, got ${entry}`);
      }
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      ranges.push([(ipv4ToNumber(address) & mask) >>> 0, mask]);
    } else exact.add(entry.toLowerCase().replace(/^\[|\]$/g, ''));
  });
  const warned = new Set<string>();
  const check = (host: string, id: string): boolean => {
    const name = host.toLowerCase().replace(/^\[|\]$/g, '');
    const allowedHost =
      exact.has(name) ||
      suffixes.some((suffix) => name.endsWith(suffix)) ||
      (isIP(name) === 4 && ranges.some(([network, mask]) => (ipv4ToNumber(name) & mask) >>> 0 === network));
    if (!allowedHost && !warned.has(`${id}@${name}`)) {
      if (warned.size >= MAX_REMEMBERED_HOST_WARNINGS) warned.clear();
      warned.add(`${id}@${name}`);
      logger.warn({ id, host: name }, 'switchyard discovery: ignored an instance whose host is not in allowedHosts');
    }
    return allowedHost;
  };
  return Object.defineProperty(check, 'rememberedWarnings', { get: () => warned.size }) as HostCheck;
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((value, part) => (value << 8) + Number(part), 0) >>> 0;
}
