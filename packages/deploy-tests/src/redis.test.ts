import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOverlay, OVERLAYS, pick } from './builds.js';
import { checkComposeRedis, checkRedis, checkRedisPersistentVolume, parseRedisMemory } from './checks/redis.js';
import { loadComposeFile } from './compose-file.js';
import { deployDir } from './contract.js';
import type { KubeObject } from './objects.js';

function redis(objects: KubeObject[]) {
  return pick<IDeployment>(objects, 'Deployment', 'redis').spec!.template.spec!;
}

/** Replaces the value after `flag` in Redis's argument list. */
function setFlag(objects: KubeObject[], flag: string, value: string): void {
  const args = redis(objects).containers[0]!.args!;
  args[args.indexOf(flag) + 1] = value;
}

const loadCompose = () => loadComposeFile(join(deployDir, 'compose', 'compose.yaml'));

describe('Redis', () => {
  it.each(OVERLAYS)(
    'is probed with PONG, persistent, never evicts and has memory headroom in overlays/%s',
    (overlay) => {
      expect(checkRedis(buildOverlay(overlay))).toEqual([]);
    },
  );

  it('catches a TCP liveness probe, and probes that take any reply for a live Redis', () => {
    const objects = buildOverlay('local');
    const container = redis(objects).containers[0]!;
    // What the manifest had: a SIGSTOPped Redis still accepts TCP, so it was never restarted.
    container.livenessProbe = { tcpSocket: { port: 'redis' }, periodSeconds: 10, timeoutSeconds: 2 };
    // And readiness passed on NOAUTH, BUSY and LOADING: redis-cli exits 0 on those.
    container.readinessProbe = { exec: { command: ['redis-cli', 'ping'] }, timeoutSeconds: 2 };
    expect(checkRedis(objects)).toEqual([
      'Deployment/redis container redis readinessProbe: does not compare the reply with PONG (redis-cli exits 0 on NOAUTH, BUSY, LOADING)',
      'Deployment/redis container redis livenessProbe: does not run redis-cli ping (a hung Redis still accepts TCP connections)',
    ]);
  });

  it('catches a password on the probe command line, a liveness probe that kills a loading Redis, and no timeout', () => {
    const objects = buildOverlay('production');
    const container = redis(objects).containers[0]!;
    container.readinessProbe!.exec!.command = ['sh', '-c', '[ "$(redis-cli -a "$REDISCLI_AUTH" ping)" = PONG ]'];
    container.livenessProbe = { exec: { command: ['sh', '-c', '[ "$(redis-cli ping)" = PONG ]'] } };
    expect(checkRedis(objects)).toEqual([
      'Deployment/redis container redis readinessProbe: passes credentials on the command line; use REDISCLI_AUTH',
      'Deployment/redis container redis livenessProbe: does not accept LOADING',
      'Deployment/redis container redis livenessProbe: no timeoutSeconds',
    ]);
  });

  it('catches no persistence, an evicting policy, too little memory headroom and a small data volume', () => {
    const objects = buildOverlay('local');
    setFlag(objects, '--appendonly', 'no');
    setFlag(objects, '--maxmemory-policy', 'allkeys-lru');
    setFlag(objects, '--maxmemory', '200mb'); // what the manifest had, under a 256Mi limit
    redis(objects).volumes![0]!.emptyDir!.sizeLimit = '256Mi';
    expect(checkRedis(objects)).toEqual([
      'Deployment/redis container redis: --appendonly is not yes (a restart would lose stock and reservation answers)',
      'Deployment/redis container redis: --maxmemory-policy allkeys-lru may evict stock or reservation answers; use noeviction',
      'Deployment/redis container redis: --maxmemory 200mb is over 50 % of its memory limit 256Mi',
      'Deployment/redis container redis: volume data sizeLimit 256Mi is under 3 × --maxmemory (the append-only file and its rewrite)',
    ]);
  });

  it('keeps its data on a PersistentVolumeClaim in production, where an emptyDir would empty it on every drain', () => {
    expect(checkRedisPersistentVolume(buildOverlay('production'))).toEqual([]);
    // overlays/local keeps the base's emptyDir, which is what production had.
    expect(checkRedisPersistentVolume(buildOverlay('local'))).toEqual([
      'Deployment/redis: /data is not a PersistentVolumeClaim (a node drain, eviction or rollout would start Redis empty)',
    ]);
  });

  it('catches a claim that is missing or too small, and a rolling update', () => {
    const objects = buildOverlay('production');
    pick<IDeployment>(objects, 'Deployment', 'redis').spec!.strategy = { type: 'RollingUpdate' };
    const claim = pick<{ spec: { resources: { requests: { storage: string } } } }>(
      objects,
      'PersistentVolumeClaim',
      'redis-data',
    );
    claim.spec.resources.requests.storage = '256Mi';
    expect(checkRedisPersistentVolume(objects)).toEqual([
      'Deployment/redis: strategy is not Recreate (two Redis would share, or wait for, one volume)',
      'PersistentVolumeClaim/redis-data: storage 256Mi is under 3 × --maxmemory (the append-only file and its rewrite)',
    ]);
    const withoutClaim = buildOverlay('production').filter((object) => object.kind !== 'PersistentVolumeClaim');
    expect(checkRedisPersistentVolume(withoutClaim)).toEqual([
      'Deployment/redis: PersistentVolumeClaim/redis-data is not in the build',
    ]);
  });

  it('catches a memory request below the limit, which makes Redis the first pod evicted under memory pressure', () => {
    // What base/redis.yaml had: 64Mi requested for a Redis allowed 128mb of data under a 256Mi limit.
    const objects = buildOverlay('production');
    redis(objects).containers[0]!.resources!.requests!.memory = '64Mi';
    expect(checkRedis(objects)).toEqual([
      'Deployment/redis container redis: memory request 64Mi is below its limit 256Mi (the kubelet evicts it first under memory pressure)',
    ]);
  });

  it('catches a data directory that is not a volume', () => {
    const objects = buildOverlay('local');
    redis(objects).containers[0]!.volumeMounts = [];
    expect(checkRedis(objects)).toEqual(['Deployment/redis container redis: its --dir /data is not a mounted volume']);
  });

  it.each(OVERLAYS)(
    'refuses to start in overlays/%s with an empty password or one padded with whitespace, which the services would trim',
    (overlay) => {
      const pod = redis(buildOverlay(overlay));
      const check = pod.initContainers?.find((container) => container.name === 'check-password');
      // The very value Redis gets (kustomize renames a generated Secret in both places).
      const secretOf = (container: typeof check) =>
        container?.env?.find((variable) => variable.name === 'REDISCLI_AUTH')?.valueFrom?.secretKeyRef;
      expect(secretOf(check)).toEqual(secretOf(pod.containers[0]));
      expect(secretOf(check)?.key).toBe('password');
      const [shell, ...args] = check!.command!;
      // Run as the pod would, by the local POSIX shell (the image's sh is dash, as here).
      const run = (password: string) => {
        const result = spawnSync(shell!, args, { env: { REDISCLI_AUTH: password }, encoding: 'utf8', timeout: 5_000 });
        return { status: result.status, stderr: result.stderr };
      };
      for (const password of ['s3cret', 'with inner space', 'x'])
        expect(run(password)).toEqual({ status: 0, stderr: '' });
      for (const password of ['s3cret\n', 's3cret\r\n', ' s3cret', '\ts3cret', 's3cret ']) {
        const { status, stderr } = run(password);
        expect(status).toBe(1);
        expect(stderr).toContain('starts or ends with whitespace');
        expect(stderr).toContain('--from-literal');
      }
      expect(run('')).toMatchObject({ status: 1, stderr: expect.stringContaining('is empty') });
    },
  );

  it('reads Redis memory units', () => {
    expect([
      parseRedisMemory('128mb'),
      parseRedisMemory('200m'),
      parseRedisMemory('1GB'),
      parseRedisMemory('x'),
    ]).toEqual([128 * 2 ** 20, 200e6, 2 ** 30, undefined]);
  });
});

describe('Redis in Compose', () => {
  it('runs the same pinned image as Kubernetes', () => {
    expect(loadCompose().services.redis!.image).toBe(redis(buildOverlay('local')).containers[0]!.image);
  });

  it('is checked with PONG and keeps its data in a volume', () => {
    expect(checkComposeRedis(loadCompose())).toEqual([]);
  });

  it('catches what the file had: a bare ping, no persistence, /data on a tmpfs', () => {
    const compose = loadCompose();
    const service = compose.services.redis!;
    service.healthcheck = { test: ['CMD', 'redis-cli', 'ping'] };
    const command = service.command as string[];
    command[command.indexOf('--appendonly') + 1] = 'no';
    delete service.volumes;
    service.tmpfs = ['/data'];
    expect(checkComposeRedis(compose)).toEqual([
      'compose service redis: --appendonly is not yes (a restart would lose stock and reservation answers)',
      "compose service redis: healthcheck does not compare redis-cli ping's reply with PONG",
      'compose service redis: /data is not a volume (a tmpfs is emptied on every restart)',
    ]);
  });
});
