import { redisCommand } from './redis-command.js';
import { waitUntil } from './timeouts.js';

/** Waits until 127.0.0.1:`port` answers PING (authenticating with `password` if given). */
export function waitForPing(options: {
  port: number;
  password?: string;
  timeoutMs: number;
  what: string;
  abort?: () => Error | undefined;
}): Promise<true> {
  return waitUntil(
    async () => {
      const reply = await redisCommand(
        { host: '127.0.0.1', port: options.port, password: options.password, timeoutMs: 500 },
        ['PING'],
      );
      return reply === 'PONG' ? true : undefined;
    },
    { what: options.what, timeoutMs: options.timeoutMs, intervalMs: 50, abort: options.abort },
  );
}
