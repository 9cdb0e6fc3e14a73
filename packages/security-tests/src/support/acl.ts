/**
 * The least-privilege ACL of a registry client, found by trying (see README): every command the
 * registry sends, directly or from its Lua scripts, and nothing else; keys and channels limited to
 * the namespace. `+info` is only for ioredis' ready check.
 */
export const REGISTRY_COMMANDS = [
  // scripts (EVALSHA first, EVAL when the server does not know the script yet)
  'evalsha',
  'eval',
  // called from the scripts (the canary record's two, GET_CANARY and SET_CANARY, need only time,
  // get, set and del)
  'time',
  'hget',
  'hset',
  'hdel',
  'hexists',
  'hlen',
  'hkeys',
  'hmget',
  'del',
  'set',
  'get',
  'incr',
  'publish',
  'zadd',
  'zrem',
  'zscore',
  'zrangebyscore',
  'zcount',
  'zcard',
  'zremrangebyscore',
  'pttl',
  'srem',
  // sent directly: heartbeat, service index, revision check, watches, ready check
  'pexpire',
  'sadd',
  'smembers',
  'subscribe',
  'unsubscribe',
  'info',
  // only on an error path: a key of the wrong type (WRONGTYPE) is named by asking the TYPE of the
  // service's keys; without it the DATA_LOSS error cannot say which key to repair
  'type',
] as const;

/** `ACL SETUSER` rules for a registry user confined to `namespace`. */
export function registryAclRules(namespace: string, password: string): string[] {
  return [
    'reset',
    'on',
    `>${password}`,
    `~${namespace}:*`,
    `&${namespace}:*`,
    ...REGISTRY_COMMANDS.map((c) => `+${c}`),
  ];
}
