import type { ServiceInstance } from '@switchyard/core';
import { RedisRegistry, type RedisRegistryOptions, serviceKeys } from '@switchyard/registry';
import { EventLog } from '@switchyard/registry/testing';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { waitFor } from './wait.js';

/** Server time in ms (the registry's clock). */
export async function serverNowMs(admin: Redis): Promise<number> {
  const [seconds, micros] = await admin.time();
  return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
}

/**
 * Runs every registry operation against a Redis through `options` (the client under test) and
 * checks each one's effect with `admin` (a separate, privileged connection):
 * register, heartbeat (fast PEXPIRE; slow path after the lease vanished; full rewrite after the
 * entry vanished), update, list, services, watch (snapshot and pushed up/update/route/down),
 * setRoute/getRoute, setCanary/getCanary, evict, sweep of an expired entry by the watcher, deregister and close.
 * Returns the operations it saw succeed, in order.
 */
export async function exerciseEveryOperation(
  options: Omit<RedisRegistryOptions, 'namespace'> & { namespace: string },
  admin: Redis,
): Promise<string[]> {
  const done: string[] = [];
  const service = 'acl-echo';
  const keys = serviceKeys(options.namespace, service);
  const registry = new RedisRegistry({
    heartbeatIntervalMs: 100,
    sweepIntervalMs: 100,
    resyncIntervalMs: 500,
    ...options,
  });
  try {
    const log = new EventLog();
    const stopWatch = await registry.watch(service, log.listener);
    await log.next((event) => event.type === 'snapshot');
    done.push('watch');

    const registration = await registry.register(
      { id: 'echo-1', service, version: '1.0.0', host: '127.0.0.1', ports: { grpc: 50_051 } },
      { ttlMs: 1_500 },
    );
    await log.next((event) => event.type === 'up' && event.instance.id === 'echo-1');
    expect(await admin.hexists(keys.instances, 'echo-1')).toBe(1);
    done.push('register');

    const generation = await admin.hget(keys.scriptKeys[1], 'echo-1');
    const leaseKey = keys.lease('echo-1', generation as string);
    // Fast heartbeat: PEXPIRE keeps the lease near its full TTL.
    await admin.pexpire(leaseKey, 400);
    await waitFor(async () => (await admin.pttl(leaseKey)) > 600, { what: 'a heartbeat to extend the lease' });
    expect(registration.state).toBe('active');
    done.push('heartbeat');

    // Slow heartbeat: the lease key vanished, the entry did not.
    await admin.del(leaseKey);
    await waitFor(async () => (await admin.exists(leaseKey)) === 1, {
      what: 'the slow heartbeat to rewrite the lease',
    });
    done.push('heartbeat (lease rewritten)');

    // Full rewrite: the entry vanished (deleted by hand). A read ends its lease (see the LIST
    // script), so the owner's next heartbeat finds nothing and writes the entry back in full.
    await admin.hdel(keys.instances, 'echo-1');
    await registry.list(service);
    await waitFor(async () => (await admin.hexists(keys.instances, 'echo-1')) === 1, {
      what: 'the registration to write its entry back',
    });
    done.push('heartbeat (entry written back)');

    await registration.update({ weight: 50, metadata: { track: 'a' } });
    await log.next((event) => event.type === 'update' && event.instance.weight === 50);
    done.push('update');

    const listed = await registry.list(service);
    expect(listed.map((instance: ServiceInstance) => [instance.id, instance.weight])).toEqual([['echo-1', 50]]);
    done.push('list');

    await waitFor(async () => (await registry.services()).includes(service), {
      what: 'services() to list the service',
    });
    done.push('services');

    await registry.setRoute(service, { splits: { '1.0.0': 100 } });
    await log.next((event) => event.type === 'route' && event.rule !== undefined);
    expect(await registry.getRoute(service)).toEqual({ splits: { '1.0.0': 100 } });
    await registry.setRoute(service, undefined);
    await log.next((event) => event.type === 'route' && event.rule === undefined);
    done.push('setRoute/getRoute');

    // The canary record (what a canary controller keeps): a conditional first write, a read, a
    // refused conditional write, a clear.
    const canaryKey = `${options.namespace}:{${service}}:canary`;
    await registry.setCanary?.(
      service,
      { canary: '1.1.0', stable: '1.0.0', percent: 5, state: 'running', owner: 'acl-test', leaseMs: 30_000 },
      { expected: null },
    );
    expect(JSON.parse((await admin.get(canaryKey)) as string)).toMatchObject({ canary: '1.1.0', revision: 1 });
    expect(await registry.getCanary?.(service)).toMatchObject({ canary: '1.1.0', percent: 5, revision: 1 });
    await expect(
      registry.setCanary?.(
        service,
        { canary: '1.1.0', stable: '1.0.0', percent: 25, state: 'running', owner: 'acl-test', leaseMs: 30_000 },
        { expected: 7 },
      ),
    ).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await registry.setCanary?.(service, undefined);
    expect(await admin.exists(canaryKey)).toBe(0);
    done.push('setCanary/getCanary');

    const other = await registry.register({ id: 'echo-2', service, host: '127.0.0.1', ports: { grpc: 50_052 } });
    await log.next((event) => event.type === 'up' && event.instance.id === 'echo-2');
    expect(await registry.evict(service, 'echo-2')).toBe(true);
    await log.next((event) => event.type === 'down' && event.id === 'echo-2');
    await waitFor(() => other.state === 'lost', { what: 'the evicted registration to learn it is lost' });
    done.push('evict');

    // A dead process's entry: announced, indexed, but its lease key is gone (the process died).
    // The watcher's periodic sweep (running as the user under test) removes it and says so.
    const now = await serverNowMs(admin);
    const ghost = {
      id: 'ghost-1',
      service,
      host: '127.0.0.1',
      ports: { grpc: 50_053 },
      weight: 100,
      metadata: {},
      status: 'up',
    };
    await admin.hset(keys.instances, 'ghost-1', JSON.stringify(ghost));
    await admin.hset(keys.scriptKeys[1], 'ghost-1', '1');
    await admin.zadd(keys.leases, now + 300, 'ghost-1');
    const rev = await admin.incr(keys.rev);
    await admin.publish(keys.channel, JSON.stringify({ rev, type: 'up', instance: ghost }));
    // As an 'up', or inside a snapshot when the watcher's periodic revision check ran between the
    // INCR above and the message (it then resyncs, and the list already holds the ghost).
    await log.next(
      (event) =>
        (event.type === 'up' && event.instance.id === 'ghost-1') ||
        (event.type === 'snapshot' && event.instances.some((instance) => instance.id === 'ghost-1')),
    );
    await log.next((event) => event.type === 'down' && event.id === 'ghost-1' && event.reason === 'expired', 3_000);
    expect(await admin.hexists(keys.instances, 'ghost-1')).toBe(0);
    done.push('sweep');

    await registration.deregister();
    await log.next((event) => event.type === 'down' && event.id === 'echo-1' && event.reason === 'deregistered');
    expect(await admin.hexists(keys.instances, 'echo-1')).toBe(0);
    done.push('deregister');

    await stopWatch();
    done.push('unwatch');
  } finally {
    await registry.close();
  }
  done.push('close');
  return done;
}
