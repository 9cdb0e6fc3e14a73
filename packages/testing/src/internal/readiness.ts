import { SwitchyardTestingError } from '../testing-error.js';
import { redisCommand } from './redis-command.js';
import { parseInfo } from './reply-fields.js';
import { waitUntil } from './timeouts.js';

/**
 * Waits until 127.0.0.1:`port` answers PING (authenticating with `password` if given). With `pid`,
 * the server that answers must be that process (INFO's `process_id`): between choosing a free port
 * and binding it, another process may take the port, and a PONG from someone else's Redis must not
 * pass for ours (PORT_TAKEN).
 */
export async function waitForPing(options: {
  port: number;
  password?: string;
  pid?: number;
  timeoutMs: number;
  what: string;
  abort?: () => Error | undefined;
}): Promise<true> {
  const target = { host: '127.0.0.1', port: options.port, password: options.password, timeoutMs: 500 };
  let foreign: Error | undefined;
  await waitUntil(
    async () => {
      const reply = await redisCommand(target, ['PING']);
      if (reply !== 'PONG') return undefined;
      // Our child may have died meanwhile, and the PONG come from whoever bound the port since.
      const aborted = options.abort?.();
      if (aborted) throw aborted;
      if (options.pid === undefined) return true;
      const processId = Number(parseInfo(await redisCommand(target, ['INFO', 'server'])).get('process_id'));
      if (processId === options.pid) return true;
      foreign = new SwitchyardTestingError(
        'PORT_TAKEN',
        `127.0.0.1:${options.port} is answered by another redis-server (pid ${processId}), not the one started (pid ${options.pid}): the port was taken between choosing and binding it`,
      );
      return undefined;
    },
    {
      what: options.what,
      timeoutMs: options.timeoutMs,
      intervalMs: 50,
      abort: () => foreign ?? options.abort?.(),
    },
  );
  return true;
}
