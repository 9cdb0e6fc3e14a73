import type { RedisEndpoint } from '../redis-sentinel-handle.js';
import { redisCommand } from './redis-command.js';
import { pairsToRecord } from './reply-fields.js';

/**
 * One readiness probe: true when every sentinel reports the master at 127.0.0.1:`masterPort`, sees `replicas`
 * replicas with a healthy link, and knows all the other sentinels; otherwise undefined (or throws).
 */
export async function sentinelsAgree(options: {
  sentinels: readonly RedisEndpoint[];
  masterName: string;
  masterPort: number;
  replicas: number;
}): Promise<true | undefined> {
  for (const sentinel of options.sentinels) {
    const where = `sentinel 127.0.0.1:${sentinel.port}`;
    const address = await redisCommand(sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', options.masterName]);
    if (!Array.isArray(address) || Number(address[1]) !== options.masterPort) {
      throw new Error(`${where} reports master ${JSON.stringify(address)}`);
    }
    const replicas = await redisCommand(sentinel, ['SENTINEL', 'REPLICAS', options.masterName]);
    const healthy = (Array.isArray(replicas) ? replicas : [])
      .map(pairsToRecord)
      .filter(
        (replica) => !/s_down|o_down|disconnected/.test(replica.flags ?? '') && replica['master-link-status'] === 'ok',
      );
    if (healthy.length < options.replicas) {
      throw new Error(`${where} sees ${healthy.length} of ${options.replicas} replica(s) in sync`);
    }
    const peers = await redisCommand(sentinel, ['SENTINEL', 'SENTINELS', options.masterName]);
    const known = Array.isArray(peers) ? peers.length : 0;
    if (known < options.sentinels.length - 1) {
      throw new Error(`${where} knows ${known} of ${options.sentinels.length - 1} other sentinel(s)`);
    }
  }
  return true;
}
