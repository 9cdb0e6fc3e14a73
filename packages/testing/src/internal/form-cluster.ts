import { SwitchyardTestingError } from '../testing-error.js';
import { CLUSTER_BUS_OFFSET } from './free-ports.js';
import { redisCommand, type RespValue } from './redis-command.js';
import { parseInfo } from './reply-fields.js';
import { waitUntil } from './timeouts.js';

const SLOTS = 16_384;

/**
 * Joins fresh cluster-enabled nodes into one cluster, as `redis-cli --cluster create` would but for any number
 * of masters: distinct config epochs, contiguous slot ranges per master, MEET, then CLUSTER REPLICATE for replicas
 * (replica `i` follows master `i % masters`). Resolves once every node reports `cluster_state:ok` and knows all.
 */
export async function formCluster(options: ClusterLayout): Promise<void> {
  try {
    await joinNodes(options);
  } catch (error) {
    throw clusterFormingFailure(error);
  }
}

interface ClusterLayout {
  masterPorts: readonly number[];
  replicaPorts: readonly number[];
  timeoutMs: number;
}

/**
 * A failure while forming the cluster, as a {@link SwitchyardTestingError} (START_FAILED): the
 * CLUSTER commands' own errors came out as plain Errors, which `isInstance`/`code` checks missed;
 * and a redis-server older than 7 (no CLUSTER ADDSLOTSRANGE) is named as such.
 */
function clusterFormingFailure(error: unknown): Error {
  if (SwitchyardTestingError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const tooOld = /unknown subcommand.*ADDSLOTSRANGE/i.test(message)
    ? ' (startRedisCluster needs Redis 7 or newer)'
    : '';
  return new SwitchyardTestingError('START_FAILED', `forming the Redis cluster failed: ${message}${tooOld}`, {
    cause: error,
  });
}

async function joinNodes(options: ClusterLayout): Promise<void> {
  const { masterPorts, replicaPorts } = options;
  const all = [...masterPorts, ...replicaPorts];
  const deadline = Date.now() + options.timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const on = (port: number, ...args: (string | number)[]): Promise<RespValue> =>
    redisCommand({ host: '127.0.0.1', port, timeoutMs: 2_000 }, args);

  await Promise.all(all.map((port, index) => on(port, 'CLUSTER', 'SET-CONFIG-EPOCH', index + 1)));
  await Promise.all(
    masterPorts.map((port, index) => {
      const first = Math.floor((index * SLOTS) / masterPorts.length);
      const last = Math.floor(((index + 1) * SLOTS) / masterPorts.length) - 1;
      return on(port, 'CLUSTER', 'ADDSLOTSRANGE', first, last);
    }),
  );
  const [seed] = all as [number];
  for (const port of all.slice(1)) await on(seed, 'CLUSTER', 'MEET', '127.0.0.1', port, port + CLUSTER_BUS_OFFSET);

  const masterIds = await Promise.all(masterPorts.map(async (port) => String(await on(port, 'CLUSTER', 'MYID'))));
  await waitUntil(
    async () => {
      for (const port of all) {
        const nodes = String(await on(port, 'CLUSTER', 'NODES'));
        const lines = nodes.trim().split('\n');
        if (lines.length < all.length || /handshake|noaddr/.test(nodes)) {
          throw new Error(`node 127.0.0.1:${port} knows ${lines.length} of ${all.length} nodes`);
        }
      }
      return true;
    },
    { what: 'every cluster node to know the others (CLUSTER MEET)', timeoutMs: left() },
  );
  await Promise.all(
    replicaPorts.map((port, index) =>
      on(port, 'CLUSTER', 'REPLICATE', masterIds[index % masterPorts.length] as string),
    ),
  );
  await waitUntil(
    async () => {
      for (const port of all) {
        const info = parseInfo(await on(port, 'CLUSTER', 'INFO'));
        if (info.get('cluster_state') !== 'ok' || info.get('cluster_slots_assigned') !== String(SLOTS)) {
          throw new Error(
            `node 127.0.0.1:${port} reports cluster_state:${info.get('cluster_state')}, ` +
              `slots assigned ${info.get('cluster_slots_assigned')}`,
          );
        }
        if (info.get('cluster_known_nodes') !== String(all.length)) {
          throw new Error(`node 127.0.0.1:${port} knows ${info.get('cluster_known_nodes')} of ${all.length} nodes`);
        }
      }
      for (const port of replicaPorts) {
        const replication = parseInfo(await on(port, 'INFO', 'replication'));
        if (replication.get('master_link_status') !== 'up') throw new Error(`replica 127.0.0.1:${port} not in sync`);
      }
      return true;
    },
    { what: 'cluster_state:ok on every node', timeoutMs: left() },
  );
}
