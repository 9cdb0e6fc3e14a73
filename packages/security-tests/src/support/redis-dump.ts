import type { Redis } from 'ioredis';

/** Every key matching `pattern` with its type and full value, as text (for "no secret in here" checks). */
export async function dumpKeys(admin: Redis, pattern = '*'): Promise<string> {
  const out: string[] = [];
  let cursor = '0';
  for (let round = 0; round < 1_000; round++) {
    const [next, keys] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    for (const key of keys) {
      const type = await admin.type(key);
      let value: unknown;
      if (type === 'string') value = await admin.get(key);
      else if (type === 'hash') value = await admin.hgetall(key);
      else if (type === 'zset') value = await admin.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'set') value = await admin.smembers(key);
      else if (type === 'list') value = await admin.lrange(key, 0, -1);
      out.push(`${key} (${type}) ${JSON.stringify(value)}`);
    }
    cursor = next;
    if (cursor === '0') break;
  }
  return out.join('\n');
}
