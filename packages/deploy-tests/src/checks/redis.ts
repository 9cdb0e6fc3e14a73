/**
 * Redis, in Kubernetes and in Compose: it holds the registry and the catalog's stock with its
 * 24 h reservation answers (the idempotency of PlaceOrder), so it must be restarted when hung,
 * keep its data across a container restart, never evict, and have room below its memory limit.
 *
 * - Probes run `redis-cli ping` and compare the reply with PONG: redis-cli exits 0 on NOAUTH,
 *   BUSY and LOADING too, and a SIGSTOPped or stuck Redis still accepts TCP (so no tcpSocket).
 *   The password comes from REDISCLI_AUTH (checked in registry-auth.ts), never `-a` / `-u`.
 * - Liveness also accepts LOADING (reading the append-only file back is not a hang); readiness
 *   does not.
 * - `--appendonly yes` onto a mounted /data; `--maxmemory-policy noeviction`; `--maxmemory` at
 *   most {@link MAX_MEMORY_SHARE} of the container's memory limit, and a memory request equal to
 *   that limit (what Redis may use is reserved, so node-pressure eviction does not pick it first).
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { ComposeFile } from '../compose-file.js';
import type { KubeObject } from '../objects.js';
import { describe, findObject, podSpec } from '../objects.js';
import { parseQuantity } from '../quantity.js';

/**
 * The largest `--maxmemory` as a share of the memory limit. maxmemory counts Redis's allocations,
 * not the container's memory: fragmentation, the process itself and the pages copied while a
 * forked child rewrites the append-only file come on top.
 */
export const MAX_MEMORY_SHARE = 0.5;

/** `--flag value` pairs of a redis-server command line (the last one wins, as in Redis). */
function redisFlags(command: readonly unknown[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let index = 0; index < command.length; index++) {
    const word = String(command[index]);
    if (word.startsWith('--')) flags.set(word.slice(2), String(command[index + 1] ?? ''));
  }
  return flags;
}

/** Redis memory units (`128mb` = 128 × 2^20; `1gb`; `200m` = 200 × 10^6, plain bytes). */
export function parseRedisMemory(value: string | undefined): number | undefined {
  const match = /^([0-9]+)(k|kb|m|mb|g|gb)?$/i.exec(value?.trim() ?? '');
  if (!match) return undefined;
  const units: Record<string, number> = { '': 1, k: 1e3, kb: 2 ** 10, m: 1e6, mb: 2 ** 20, g: 1e9, gb: 2 ** 30 };
  return Number(match[1]) * units[(match[2] ?? '').toLowerCase()]!;
}

/** Problems with the settings both platforms share: persistence and eviction. */
function checkServerFlags(where: string, flags: Map<string, string>): string[] {
  const problems: string[] = [];
  if (flags.get('appendonly') !== 'yes')
    problems.push(`${where}: --appendonly is not yes (a restart would lose stock and reservation answers)`);
  const policy = flags.get('maxmemory-policy') ?? 'noeviction';
  if (policy !== 'noeviction')
    problems.push(`${where}: --maxmemory-policy ${policy} may evict stock or reservation answers; use noeviction`);
  return problems;
}

/** A probe's script when it is a redis-cli ping compared with PONG; problems otherwise. */
function checkPingProbe(where: string, probe: IProbe | undefined, acceptsLoading: boolean): string[] {
  if (!probe) return [`${where}: missing`];
  const script = (probe.exec?.command ?? []).join(' ');
  if (!probe.exec || !/\bredis-cli\b[^;|&]*\bping\b/.test(script))
    return [`${where}: does not run redis-cli ping (a hung Redis still accepts TCP connections)`];
  const problems: string[] = [];
  if (!/=\s*"?PONG\b/.test(script))
    problems.push(`${where}: does not compare the reply with PONG (redis-cli exits 0 on NOAUTH, BUSY, LOADING)`);
  if (/LOADING/.test(script) !== acceptsLoading)
    problems.push(`${where}: ${acceptsLoading ? 'does not accept' : 'accepts'} LOADING`);
  if (/\bredis-cli\b.*\s(-a|-u|--pass|--user)(\s|=|$)/.test(script))
    problems.push(`${where}: passes credentials on the command line; use REDISCLI_AUTH`);
  if (probe.timeoutSeconds === undefined) problems.push(`${where}: no timeoutSeconds`);
  return problems;
}

/** Problems with Deployment/redis in one kustomize build. */
export function checkRedis(objects: KubeObject[]): string[] {
  const deployment = findObject<IDeployment>(objects, 'Deployment', 'redis');
  if (!deployment) return ['Deployment/redis: missing'];
  const pod = podSpec(deployment);
  const container: IContainer | undefined = pod.containers.find((candidate) => candidate.name === 'redis');
  if (!container) return [`${describe(deployment)}: no container redis`];
  const where = `${describe(deployment)} container redis`;
  const problems = [
    ...checkPingProbe(`${where} readinessProbe`, container.readinessProbe, false),
    ...checkPingProbe(`${where} livenessProbe`, container.livenessProbe, true),
  ];
  const flags = redisFlags([...(container.command ?? []), ...(container.args ?? [])]);
  problems.push(...checkServerFlags(where, flags));
  const dir = flags.get('dir') ?? '/data';
  const mount = container.volumeMounts?.find((candidate) => candidate.mountPath === dir);
  const volume = pod.volumes?.find((candidate) => candidate.name === mount?.name);
  if (!mount || !volume) problems.push(`${where}: its --dir ${dir} is not a mounted volume`);
  const maxmemory = parseRedisMemory(flags.get('maxmemory'));
  const limit = parseQuantity(container.resources?.limits?.memory);
  if (maxmemory === undefined || maxmemory === 0) problems.push(`${where}: no --maxmemory`);
  else if (limit !== undefined && maxmemory > MAX_MEMORY_SHARE * limit)
    problems.push(
      `${where}: --maxmemory ${flags.get('maxmemory')} is over ${MAX_MEMORY_SHARE * 100} % of its memory limit ${container.resources?.limits?.memory}`,
    );
  // Node-pressure eviction takes first the pods using more memory than they requested: Redis
  // (the registry of every service, and the stock) must never be one of them, nor be placed on a
  // node that cannot hold what its limit allows.
  const request = parseQuantity(container.resources?.requests?.memory);
  if (limit !== undefined && (request === undefined || request < limit))
    problems.push(
      `${where}: memory request ${container.resources?.requests?.memory ?? 'unset'} is below its limit ${container.resources?.limits?.memory} (the kubelet evicts it first under memory pressure)`,
    );
  const sizeLimit = parseQuantity(volume?.emptyDir?.sizeLimit);
  if (maxmemory && sizeLimit !== undefined && sizeLimit < 3 * maxmemory)
    problems.push(
      `${where}: volume ${volume?.name} sizeLimit ${volume?.emptyDir?.sizeLimit} is under 3 × --maxmemory (the append-only file and its rewrite)`,
    );
  return problems;
}

/**
 * Problems with where a production Redis keeps its data: /data must be a PersistentVolumeClaim of
 * the build (an emptyDir is gone after a node drain, an eviction or a rollout, and with it the
 * stock and the reservation answers), of at least 3 × --maxmemory, and the Deployment must use
 * Recreate (a rolling update would start a second Redis that cannot attach a ReadWriteOnce volume,
 * or that writes the same files).
 */
export function checkRedisPersistentVolume(objects: KubeObject[]): string[] {
  const deployment = findObject<IDeployment>(objects, 'Deployment', 'redis');
  const pod = deployment && podSpec(deployment);
  const container = pod?.containers.find((candidate) => candidate.name === 'redis');
  if (!deployment || !pod || !container) return ['Deployment/redis: missing'];
  const where = describe(deployment);
  const flags = redisFlags([...(container.command ?? []), ...(container.args ?? [])]);
  const dir = flags.get('dir') ?? '/data';
  const mount = container.volumeMounts?.find((candidate) => candidate.mountPath === dir);
  const volume = pod.volumes?.find((candidate) => candidate.name === mount?.name);
  const problems: string[] = [];
  if (deployment.spec?.strategy?.type !== 'Recreate')
    problems.push(`${where}: strategy is not Recreate (two Redis would share, or wait for, one volume)`);
  const claimName = volume?.persistentVolumeClaim?.claimName;
  if (!claimName) {
    problems.push(
      `${where}: ${dir} is not a PersistentVolumeClaim (a node drain, eviction or rollout would start Redis empty)`,
    );
    return problems;
  }
  const claim = findObject<IPersistentVolumeClaim>(objects, 'PersistentVolumeClaim', claimName);
  if (!claim) return [...problems, `${where}: PersistentVolumeClaim/${claimName} is not in the build`];
  const storage = parseQuantity(claim.spec?.resources?.requests?.storage);
  const maxmemory = parseRedisMemory(flags.get('maxmemory'));
  if (storage === undefined || (maxmemory !== undefined && storage < 3 * maxmemory))
    problems.push(
      `PersistentVolumeClaim/${claimName}: storage ${claim.spec?.resources?.requests?.storage} is under 3 × --maxmemory (the append-only file and its rewrite)`,
    );
  return problems;
}

/** Problems with service redis of the Compose file. */
export function checkComposeRedis(compose: ComposeFile): string[] {
  const redis = compose.services.redis;
  if (!redis) return ['compose: service redis missing'];
  const where = 'compose service redis';
  const command = Array.isArray(redis.command) ? redis.command : String(redis.command ?? '').split(/\s+/);
  const flags = redisFlags(command);
  const problems = checkServerFlags(where, flags);
  const test = [redis.healthcheck?.test ?? []].flat();
  // CMD-SHELL with $$ (Compose's literal $) around the ping, compared with PONG.
  const script = test[0] === 'CMD-SHELL' ? test.slice(1).join(' ') : '';
  if (!/\bredis-cli\b[^;|&]*\bping\b/.test(script) || !/=\s*"?PONG\b/.test(script))
    problems.push(`${where}: healthcheck does not compare redis-cli ping's reply with PONG`);
  const dir = flags.get('dir') ?? '/data';
  const persistent = (redis.volumes ?? []).some((volume) =>
    typeof volume === 'string' ? volume.split(':')[1] === dir : (volume as { target?: string }).target === dir,
  );
  if (!persistent) problems.push(`${where}: ${dir} is not a volume (a tmpfs is emptied on every restart)`);
  return problems;
}
