import type { RedisEndpoint } from '../redis-sentinel-handle.js';
import { SwitchyardTestingError } from '../testing-error.js';
import { redisCommand } from './redis-command.js';

/** Asks the sentinels in turn for the master's address; the first answer wins. */
export async function currentMaster(sentinels: readonly RedisEndpoint[], masterName: string): Promise<RedisEndpoint> {
  const problems: string[] = [];
  for (const sentinel of sentinels) {
    try {
      const reply = await redisCommand(sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName]);
      if (Array.isArray(reply) && reply.length === 2) return { host: String(reply[0]), port: Number(reply[1]) };
      problems.push(`${sentinel.host}:${sentinel.port} does not know ${masterName}`);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  throw new SwitchyardTestingError(
    'NOT_AVAILABLE',
    `no sentinel reported a master for ${masterName}: ${problems.join('; ')}`,
  );
}
