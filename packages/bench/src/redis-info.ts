import type { Redis } from 'ioredis';

/** `INFO` parsed into `field → value`, across all sections returned. */
export type RedisInfo = ReadonlyMap<string, string>;

/**
 * Reads `INFO <section>` (default `all`, which includes `cpu`, `stats` and `commandstats`) in one command, so
 * every field of one snapshot was taken at the same instant.
 */
export async function readInfo(client: Redis, section = 'all'): Promise<RedisInfo> {
  return parseInfo(await client.info(section));
}

/** Parses the text of an `INFO` reply. */
export function parseInfo(text: string): RedisInfo {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** A numeric INFO field, or `undefined` when this Redis version does not report it. */
export function infoNumber(info: RedisInfo, field: string): number | undefined {
  const raw = info.get(field);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/** Calls and total µs of one command from `INFO commandstats` (`cmdstat_evalsha:calls=3,usec=27,…`). */
export function commandStat(info: RedisInfo, command: string): { calls: number; usec: number } {
  const raw = info.get(`cmdstat_${command}`);
  if (raw === undefined) return { calls: 0, usec: 0 };
  const pairs = new Map(raw.split(',').map((pair) => pair.split('=') as [string, string]));
  return { calls: Number(pairs.get('calls') ?? 0), usec: Number(pairs.get('usec') ?? 0) };
}

/** Redis CPU seconds so far: whole process and, on Redis ≥ 6.2, the main thread alone. */
export function redisCpuSeconds(info: RedisInfo): { total: number; mainThread: number | undefined } {
  const total = (infoNumber(info, 'used_cpu_sys') ?? 0) + (infoNumber(info, 'used_cpu_user') ?? 0);
  const sys = infoNumber(info, 'used_cpu_sys_main_thread');
  const user = infoNumber(info, 'used_cpu_user_main_thread');
  return { total, mainThread: sys === undefined || user === undefined ? undefined : sys + user };
}

/** Bytes of a bulk-string reply (what `INFO` returns) in RESP2: `$<len>\r\n<text>\r\n`. */
export function respBulkReplyBytes(text: string): number {
  const length = Buffer.byteLength(text);
  return `$${length}\r\n`.length + length + 2;
}

/**
 * Bytes of one command in RESP, the way a client sends it: `*<argc>\r\n` then `$<len>\r\n<arg>\r\n` per
 * argument. This is what crosses the wire (and what Redis adds to `total_net_input_bytes`).
 */
export function respRequestBytes(args: readonly string[]): number {
  let bytes = `*${args.length}\r\n`.length;
  for (const arg of args) {
    const length = Buffer.byteLength(arg);
    bytes += `$${length}\r\n`.length + length + 2;
  }
  return bytes;
}
