/**
 * @switchyard/registry/testing: the contract every {@link Registry} backend must pass, written once
 * and run against each backend (memory, Redis standalone, Sentinel, Cluster, and any third-party
 * backend). Requires vitest. Also {@link refuseFirstUp}: a registry blip as a service marks itself
 * ready, for tests of how services come up; and {@link catalogInstance}, an instance to register.
 *
 * @example
 * ```ts
 * import { describeRegistry } from '@switchyard/registry/testing';
 * describeRegistry('memory', () => { const store = new MemoryStore(); return { newClient: () => new MemoryRegistry({ store }) }; });
 * ```
 *
 * @packageDocumentation
 */
import { type InstanceInput, RegistryUnavailableError, type ServiceInstance } from '@switchyard/core';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import type { CanaryRecordInput } from './canary-record.js';
import type { Registry, RegistryEvent } from './registry.js';

/**
 * An instance of service `catalog` on 127.0.0.1 (gRPC port 1: tests that register it never dial
 * it), with `fields` over those defaults (a version, metadata, another service…).
 */
export function catalogInstance(id: string, fields: Partial<InstanceInput> = {}): InstanceInput {
  return { id, service: 'catalog', host: '127.0.0.1', ports: { grpc: 1 }, ...fields };
}

/** One isolated backend for one test. */
export interface RegistryContractTarget {
  /** A new client; all clients from one target share the same data (like separate processes). */
  newClient(): Registry;
  /** Runs after the test, after every client was closed. */
  cleanup?(): Promise<void>;
}

/** Tuning of the contract suite. */
export interface RegistryContractOptions {
  /** How long to wait for a pushed event. @default 2_000 */
  eventTimeoutMs?: number;
}

/** Collects a watch's events and waits for the ones a test expects. */
export class EventLog {
  /** Every event received, in order. */
  readonly events: RegistryEvent[] = [];
  private waiters: (() => void)[] = [];

  /** The listener to hand `registry.watch()`. */
  readonly listener = (event: RegistryEvent): void => {
    this.events.push(event);
    for (const wake of this.waiters) wake();
  };

  /**
   * Resolves with the first event (from index `fromIndex`, default 0) matching `predicate`, or
   * rejects after `timeoutMs` (default 2_000).
   */
  async next(predicate: (event: RegistryEvent) => boolean, timeoutMs = 2_000, fromIndex = 0): Promise<RegistryEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(fromIndex).find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => e.type))}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiters = [];
    }
  }
}

const input = (service: string, id: string, extra: Partial<ServiceInstance> = {}) => ({
  id,
  service,
  host: '127.0.0.1',
  ports: { grpc: 50_051 },
  ...extra,
});

/**
 * Registers the contract suite for one backend: a vitest `describe` block whose tests each call
 * `setup` for a fresh target and close every client made from it afterwards.
 *
 * @example
 * ```ts
 * describeRegistry('memory', () => {
 *   const store = new MemoryStore();
 *   return { newClient: () => new MemoryRegistry({ store }) };
 * });
 * ```
 */
export function describeRegistry(
  name: string,
  setup: () => RegistryContractTarget | Promise<RegistryContractTarget>,
  options: RegistryContractOptions = {},
): void {
  const timeoutMs = options.eventTimeoutMs ?? 2_000;

  describe(`Registry contract: ${name}`, () => {
    let target: RegistryContractTarget;
    const clients: Registry[] = [];
    const client = async (): Promise<Registry> => {
      target ??= await setup();
      const registry = target.newClient();
      clients.push(registry);
      return registry;
    };

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((registry) => registry.close()));
      await target?.cleanup?.();
      target = undefined as unknown as RegistryContractTarget;
    });

    it('registers, lists and deregisters an instance', async () => {
      const registry = await client();
      const registration = await registry.register(input('catalog', 'catalog-1', { version: '1.0.0', zone: 'a' }));
      expect(registration.instance).toMatchObject({ id: 'catalog-1', weight: 100, status: 'up', metadata: {} });
      expect(registration.state).toBe('active');
      expect(await registry.list('catalog')).toEqual([registration.instance]);
      expect(await registry.services()).toContain('catalog');
      await registration.deregister();
      expect(await registry.list('catalog')).toEqual([]);
      expect(await registry.services()).not.toContain('catalog');
      expect(registration.state).toBe('deregistered');
    });

    it('makes instances visible to other clients', async () => {
      const a = await client();
      const b = await client();
      await a.register(input('orders', 'orders-1'));
      await a.register(input('orders', 'orders-2'));
      await a.register(input('search', 'search-1'));
      expect((await b.list('orders')).map((i) => i.id).sort()).toEqual(['orders-1', 'orders-2']);
      expect(await b.services()).toEqual(['orders', 'search']);
      expect(await b.list('unknown')).toEqual([]);
    });

    it('starts every watch with a snapshot, then pushes up, update and down', async () => {
      const a = await client();
      const b = await client();
      await a.register(input('catalog', 'catalog-1'));
      const log = new EventLog();
      const stop = await b.watch('catalog', log.listener);
      expect(log.events[0]).toEqual({ type: 'snapshot', instances: [expect.objectContaining({ id: 'catalog-1' })] });

      const second = await a.register(input('catalog', 'catalog-2'));
      await log.next((e) => e.type === 'up' && e.instance.id === 'catalog-2', timeoutMs);
      await second.update({ status: 'draining', weight: 7, metadata: { track: 'b' } });
      const update = await log.next((e) => e.type === 'update', timeoutMs);
      expect(update).toMatchObject({
        instance: { id: 'catalog-2', status: 'draining', weight: 7, metadata: { track: 'b' } },
      });
      await second.deregister();
      await log.next((e) => e.type === 'down', timeoutMs);
      expect(log.events.at(-1)).toEqual({ type: 'down', id: 'catalog-2', reason: 'deregistered' });
      await stop();
    });

    it('never sends an event identical to the current state', async () => {
      const registry = await client();
      const registration = await registry.register(input('catalog', 'catalog-1'));
      const log = new EventLog();
      const stop = await registry.watch('catalog', log.listener);
      await registration.update({ weight: 100 });
      await registration.update({ weight: 5 });
      await log.next((e) => e.type === 'update', timeoutMs);
      await registration.update({ weight: 5 });
      await registration.update({ status: 'draining' });
      await log.next((e) => e.type === 'update' && e.instance.status === 'draining', timeoutMs);
      expect(log.events.map((e) => e.type)).toEqual(['snapshot', 'update', 'update']);
      await stop();
    });

    it('keeps services apart and stops delivering after the watch stops', async () => {
      const registry = await client();
      const catalog = new EventLog();
      const search = new EventLog();
      const stopCatalog = await registry.watch('catalog', catalog.listener);
      const stopSearch = await registry.watch('search', search.listener);
      await registry.register(input('search', 'search-1'));
      await search.next((e) => e.type === 'up', timeoutMs);
      await stopSearch();
      await registry.register(input('search', 'search-2'));
      await registry.register(input('catalog', 'catalog-1'));
      await catalog.next((e) => e.type === 'up', timeoutMs);
      expect(catalog.events.filter((e) => e.type === 'up')).toHaveLength(1);
      expect(search.events.filter((e) => e.type === 'up')).toHaveLength(1);
      await stopCatalog();
    });

    it('shares one watch between listeners and gives each its own snapshot', async () => {
      const registry = await client();
      await registry.register(input('catalog', 'catalog-1'));
      const first = new EventLog();
      const second = new EventLog();
      const stopFirst = await registry.watch('catalog', first.listener);
      const stopSecond = await registry.watch('catalog', second.listener);
      expect(second.events[0]).toMatchObject({ type: 'snapshot', instances: [{ id: 'catalog-1' }] });
      await stopFirst();
      await registry.register(input('catalog', 'catalog-2'));
      await second.next((e) => e.type === 'up', timeoutMs);
      expect(first.events).toHaveLength(1);
      await stopSecond();
    });

    it('keeps a new listener when the last other one stops while it is being added', async () => {
      const registry = await client();
      await registry.register(input('catalog', 'catalog-1'));
      const first = new EventLog();
      const second = new EventLog();
      const stopFirst = await registry.watch('catalog', first.listener);
      // The second watch() shares the first's watch and waits for it to be started; the first
      // listener stops in that gap, which must not close the watch under the second one.
      const secondWatch = registry.watch('catalog', second.listener);
      await stopFirst();
      const stopSecond = await secondWatch;
      expect(second.events[0]).toMatchObject({ type: 'snapshot', instances: [{ id: 'catalog-1' }] });
      await registry.register(input('catalog', 'catalog-2'));
      await second.next((e) => e.type === 'up', timeoutMs);
      await stopSecond();
    });

    it('leaves nothing behind that was started while close() ran, and refuses new work once it began', async () => {
      const registry = await client();
      const observer = await client();
      await registry.register(input('catalog', 'catalog-1'));
      const closing = registry.close();
      await expect(registry.register(input('catalog', 'catalog-2'))).rejects.toMatchObject({
        code: 'REGISTRY_UNAVAILABLE',
      });
      await expect(registry.watch('catalog', () => {})).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
      await closing;
      expect(await observer.list('catalog')).toEqual([]);
    });

    it('lets a new registration of the same id replace the old one for good', async () => {
      const a = await client();
      const b = await client();
      const old = await a.register(input('catalog', 'catalog-1', { version: '1.0.0' }));
      const replacement = await b.register(input('catalog', 'catalog-1', { version: '2.0.0' }));
      expect(await a.list('catalog')).toEqual([replacement.instance]);
      // The old registration may learn of it lazily, but it must never undo the replacement.
      await old.deregister();
      await expect(old.update({ weight: 1 })).rejects.toMatchObject({ code: 'REGISTRATION_LOST' });
      expect(await a.list('catalog')).toEqual([replacement.instance]);
    });

    it('rejects a registration after deregister with REGISTRATION_LOST and deregisters idempotently', async () => {
      const registry = await client();
      const registration = await registry.register(input('catalog', 'catalog-1'));
      await registration.deregister();
      await registration.deregister();
      await expect(registration.update({ weight: 3 })).rejects.toMatchObject({ code: 'REGISTRATION_LOST' });
      expect(await registry.list('catalog')).toEqual([]);
    });

    it('lets go of an abandoned registration without removing its entry, as a crash would', async () => {
      const owner = await client();
      const other = await client();
      const registration = await owner.register(input('catalog', 'catalog-1'));
      const changes: [string, string | undefined][] = [];
      registration.onStateChange((state, error) => changes.push([state, (error as { reason?: string })?.reason]));
      registration.abandon();
      registration.abandon();
      expect(registration.state).toBe('lost');
      expect(changes).toEqual([['lost', 'abandoned']]);
      await expect(registration.update({ weight: 3 })).rejects.toMatchObject({
        code: 'REGISTRATION_LOST',
        reason: 'abandoned',
      });
      // Neither deregister() nor the registry's close() removes what was let go of.
      await registration.deregister();
      await owner.close();
      expect((await other.list('catalog')).map((instance) => instance.id)).toEqual(['catalog-1']);
    });

    it('rejects bad input with INVALID_ARGUMENT naming the field, and writes nothing', async () => {
      const registry = await client();
      const bad: [unknown, string][] = [
        [input('cat alog', 'x'), 'instance.service'],
        [input('cat{x}', 'x'), 'instance.service'],
        [input('cat*', 'x'), 'instance.service'],
        [input('cat:x', 'x'), 'instance.service'],
        [input('a'.repeat(300), 'x'), 'instance.service'],
        [input('catalog', 'x', { weight: -1 }), 'instance.weight'],
        [{ ...input('catalog', 'x'), ports: { grpc: 70_000 } }, 'instance.ports.grpc'],
        [input('catalog', 'x', { metadata: { blob: 'x'.repeat(1 << 20) } }), 'instance.metadata'],
        // Not plain objects: read by their keys they were `{}`, registered with the data lost.
        [input('catalog', 'x', { metadata: new Map([['track', 'b']]) as never }), 'instance.metadata'],
        [input('catalog', 'x', { metadata: new Date() as never }), 'instance.metadata'],
        [{ ...input('catalog', 'x'), ports: new Map([['grpc', 50051]]) }, 'instance.ports'],
      ];
      for (const [value, field] of bad) {
        await expect(registry.register(value as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field });
      }
      await expect(registry.register(input('catalog', 'x'), { ttlMs: 0 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'options.ttlMs',
      });
      await expect(registry.list('Bad Name')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'service' });
      await expect(registry.watch('a:b', () => {})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      const registration = await registry.register(input('catalog', 'ok'));
      await expect(registration.update({ weight: 10_001 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'patch.weight',
      });
      await expect(registration.update({ metadata: new Map([['track', 'b']]) as never })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'patch.metadata',
      });
      await expect(registration.update({ host: 'x' } as never)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'patch.host',
      });
      expect(await registry.list('catalog')).toEqual([registration.instance]);
      expect(await registry.services()).toEqual(['catalog']);
    });

    it('lists a few hundred instances', async () => {
      const registry = await client();
      await Promise.all(Array.from({ length: 300 }, (_, i) => registry.register(input('search', `search-${i}`))));
      expect(await registry.list('search')).toHaveLength(300);
    });

    it('deregisters its registrations on close, and rejects calls afterwards', async () => {
      const a = await client();
      const b = await client();
      await a.register(input('catalog', 'catalog-1'));
      const log = new EventLog();
      const stop = await b.watch('catalog', log.listener);
      await a.close();
      await log.next((e) => e.type === 'down', timeoutMs);
      await expect(a.list('catalog')).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
      await stop();
    });

    it('sets, watches and clears a route rule, rejecting bad rules whole', async () => {
      const a = await client();
      const b = await client();
      await a.register(input('catalog', 'old-1', { version: '1.4.0' }));
      await a.register(input('catalog', 'new-1', { version: '1.5.0' }));
      const log = new EventLog();
      const stop = await b.watch('catalog', log.listener);
      expect(log.events[0]).toMatchObject({ type: 'snapshot' });
      expect((log.events[0] as { route?: unknown }).route).toBeUndefined();
      await a.setRoute('catalog', { splits: { '1.4.0': 90, '1.5.0': 10 } });
      await log.next((e) => e.type === 'route' && e.rule?.splits['1.5.0'] === 10, timeoutMs);
      expect(await b.getRoute('catalog')).toEqual({ splits: { '1.4.0': 90, '1.5.0': 10 } });
      const bad: [unknown, string][] = [
        [{ splits: { '1.4.0': 60, '1.5.0': 30 } }, 'rule.splits'],
        [{ splits: { '1.4.0': 110, '1.5.0': -10 } }, 'rule.splits.1.4.0'],
        [{ splits: { '1.4.0': 50, '9.9.9': 50 } }, 'rule.splits.9.9.9'],
      ];
      for (const [rule, field] of bad) {
        await expect(a.setRoute('catalog', rule as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field });
      }
      await expect(a.setRoute('nosuchservice', { splits: { '1.0.0': 100 } })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'service',
      });
      expect(await b.getRoute('catalog')).toEqual({ splits: { '1.4.0': 90, '1.5.0': 10 } });
      const late = new EventLog();
      const stopLate = await b.watch('catalog', late.listener);
      expect(late.events[0]).toMatchObject({ type: 'snapshot', route: { splits: { '1.4.0': 90, '1.5.0': 10 } } });
      await a.setRoute('catalog', undefined);
      await log.next((e) => e.type === 'route' && e.rule === undefined, timeoutMs);
      expect(await b.getRoute('catalog')).toBeUndefined();
      await stop();
      await stopLate();
    });

    it('refuses a rule that sends all its traffic to versions whose instances are all draining, naming the version', async () => {
      const a = await client();
      const leaving = await a.register(input('catalog', 'old-1', { version: '1.4.0' }));
      await a.register(input('catalog', 'new-1', { version: '1.5.0' }));
      await leaving.update({ status: 'draining' }); // its process is stopping: it leaves in seconds
      await expect(a.setRoute('catalog', { splits: { '1.4.0': 100 } })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'rule.splits.1.4.0',
        message: expect.stringMatching(/every live instance of catalog version 1\.4\.0 is draining.*up: 1\.5\.0/),
      });
      await expect(a.setRoute('catalog', { splits: { '1.4.0': 100, '1.5.0': 0 } })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'rule.splits.1.4.0',
      });
      expect(await a.getRoute('catalog')).toBeUndefined();
      // A share beside a version that is up is taken: draining is also how an instance that is still
      // warming up registers (a canary started at 5 % before it is ready), and discovery gives a
      // version no traffic until one of its instances is up.
      await a.setRoute('catalog', { splits: { '1.4.0': 5, '1.5.0': 95 } });
      expect(await a.getRoute('catalog')).toEqual({ splits: { '1.4.0': 5, '1.5.0': 95 } });
    });

    it('takes a rollback to a version whose instances are all draining (stable restarting under a canary)', async () => {
      const a = await client();
      const stable = await a.register(input('catalog', 'old-1', { version: '1.4.0' }));
      await a.register(input('catalog', 'new-1', { version: '1.5.0' }));
      await a.setRoute('catalog', { splits: { '1.4.0': 95, '1.5.0': 5 } });
      await stable.update({ status: 'draining' });
      // Only takes traffic away (1.4.0 already had some): refusing it would leave a failing canary
      // its share, while discovery sends a version the rule routes to nothing but stable, even draining.
      await a.setRoute('catalog', { splits: { '1.4.0': 100, '1.5.0': 0 } });
      expect(await a.getRoute('catalog')).toEqual({ splits: { '1.4.0': 100, '1.5.0': 0 } });
      // A version the stored rule gave nothing is not rolled back to: the canary's share cannot go
      // to a version that is only draining.
      await a.setRoute('catalog', undefined);
      await expect(a.setRoute('catalog', { splits: { '1.4.0': 100, '1.5.0': 0 } })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    });

    it('takes a clear of a route that is not set for a no-op: watchers hear nothing, and a rule set after works', async () => {
      const a = await client();
      const b = await client();
      await a.register(input('catalog', 'old-1', { version: '1.4.0' }));
      const log = new EventLog();
      const stop = await b.watch('catalog', log.listener);
      const rule = { splits: { '1.4.0': 100 } };
      await a.setRoute('catalog', undefined); // never set
      await a.setRoute('catalog', rule);
      await log.next((e) => e.type === 'route' && e.rule !== undefined, timeoutMs);
      await a.setRoute('catalog', undefined);
      await a.setRoute('catalog', undefined); // cleared already
      expect(await b.getRoute('catalog')).toBeUndefined();
      await log.next((e) => e.type === 'route' && e.rule === undefined, timeoutMs);
      const from = log.events.length;
      await a.setRoute('catalog', rule);
      await log.next((e) => e.type === 'route' && e.rule !== undefined, timeoutMs, from);
      expect(log.events.filter((e) => e.type === 'route').map((e) => (e as { rule?: unknown }).rule)).toEqual([
        rule,
        undefined,
        rule,
      ]);
      expect(await b.getRoute('catalog')).toEqual(rule);
      await stop();
    });

    it('writes a rule conditionally: only over the rule expected (or none), else FAILED_PRECONDITION, nothing written', async () => {
      const a = await client();
      await a.register(input('catalog', 'old-1', { version: '1.4.0' }));
      await a.register(input('catalog', 'new-1', { version: '1.5.0' }));
      const five = { splits: { '1.4.0': 95, '1.5.0': 5 } };
      const quarter = { splits: { '1.4.0': 75, '1.5.0': 25 } };
      await a.setRoute('catalog', five, { expected: null });
      await expect(a.setRoute('catalog', quarter, { expected: null })).rejects.toMatchObject({
        code: 'FAILED_PRECONDITION',
        retryable: false,
        message: expect.stringContaining('"1.4.0":95'),
      });
      // Key order does not matter; weights do.
      await a.setRoute('catalog', quarter, { expected: { splits: { '1.5.0': 5, '1.4.0': 95 } } });
      await expect(a.setRoute('catalog', five, { expected: five })).rejects.toMatchObject({
        code: 'FAILED_PRECONDITION',
      });
      expect(await a.getRoute('catalog')).toEqual(quarter);
      // A clear, conditional too.
      await expect(a.setRoute('catalog', undefined, { expected: five })).rejects.toMatchObject({
        code: 'FAILED_PRECONDITION',
      });
      await a.setRoute('catalog', undefined, { expected: quarter });
      expect(await a.getRoute('catalog')).toBeUndefined();
      await a.setRoute('catalog', five, { expected: null });
      expect(await a.getRoute('catalog')).toEqual(five);
      await expect(a.setRoute('catalog', five, { expected: { splits: { '1.4.0': 101 } } })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'options.expected.splits.1.4.0',
      });
      await expect(a.setRoute('catalog', five, { expect: five } as never)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    });

    it('keeps naming a service that holds a route rule after its last instance left, until the rule is cleared', async () => {
      const a = await client();
      const b = await client();
      const registration = await a.register(input('checkout', 'checkout-1', { version: '1.4.0' }));
      await a.register(input('orders', 'orders-1'));
      const rule = { splits: { '1.4.0': 100 } };
      await a.setRoute('checkout', rule);
      await registration.deregister();
      expect(await b.list('checkout')).toEqual([]);
      // The rule applies again the moment an instance comes back: live configuration an operator must see.
      expect(await b.services()).toEqual(['checkout', 'orders']);
      expect(await b.getRoute('checkout')).toEqual(rule);
      await b.setRoute('checkout', undefined);
      expect(await a.services()).toEqual(['orders']);
      expect(await b.services()).toEqual(['orders']);
    });

    it('keeps delivering when one listener throws', async () => {
      const registry = await client();
      const log = new EventLog();
      const stopBad = await registry.watch('catalog', (event) => {
        if (event.type !== 'snapshot') throw new Error('listener bug');
      });
      const stop = await registry.watch('catalog', log.listener);
      await registry.register(input('catalog', 'catalog-1'));
      await log.next((e) => e.type === 'up', timeoutMs);
      await stopBad();
      await stop();
    });

    describe('canary record (getCanary / setCanary)', () => {
      /**
       * A client with the canary record's methods, or the test skipped, saying so: they are optional
       * in the Registry interface (a backend written before them still compiles), but the canary
       * controller refuses a registry without them.
       */
      const canaryClient = async (context: TestContext): Promise<CanaryRegistry> => {
        const registry = await client();
        if (typeof registry.getCanary !== 'function' || typeof registry.setCanary !== 'function') {
          context.skip(
            `${name} does not implement the optional getCanary/setCanary (the canary record): createCanaryController refuses it`,
          );
        }
        return registry as CanaryRegistry;
      };

      it('writes a record another client reads back whole, with a revision that goes up by 1 per write', async (context) => {
        const a = await canaryClient(context);
        const b = await canaryClient(context);
        expect(await b.getCanary('catalog')).toBeUndefined();
        const first = await a.setCanary('catalog', canaryInput());
        expect(first).toEqual({
          canary: '1.5.0',
          stable: '1.4.0',
          percent: 5,
          state: 'running',
          reason: '',
          owner: 'controller-a',
          ownerLeaseMs: expect.any(Number),
          updatedAt: expect.any(Number),
          revision: 1,
        });
        expect(await b.getCanary('catalog')).toEqual({ ...first, ownerLeaseMs: expect.any(Number) });
        const second = await a.setCanary('catalog', canaryInput({ percent: 25 }));
        const third = await b.setCanary(
          'catalog',
          canaryInput({ percent: 0, state: 'rolled-back', reason: 'error rate 7 % > 1 %', owner: 'controller-b' }),
        );
        expect([second?.revision, third?.revision]).toEqual([2, 3]);
        expect(second?.updatedAt).toBeGreaterThanOrEqual(first?.updatedAt as number);
        expect(await a.getCanary('catalog')).toMatchObject({
          percent: 0,
          state: 'rolled-back',
          reason: 'error rate 7 % > 1 %',
          owner: 'controller-b',
          revision: 3,
          updatedAt: third?.updatedAt,
        });
        // Per service: another service has none.
        expect(await b.getCanary('search')).toBeUndefined();
      });

      it('writes conditionally: at the revision expected, or with null only over none; else FAILED_PRECONDITION, nothing written', async (context) => {
        const a = await canaryClient(context);
        const b = await canaryClient(context);
        // Two controllers claim the same service: one wins.
        const claimed = await a.setCanary('catalog', canaryInput(), { expected: null });
        expect(claimed?.revision).toBe(1);
        await expect(
          b.setCanary('catalog', canaryInput({ owner: 'controller-b' }), { expected: null }),
        ).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', retryable: false });
        const stepped = await a.setCanary('catalog', canaryInput({ percent: 25 }), { expected: 1 });
        expect(stepped?.revision).toBe(2);
        // A write at a revision that moved on (another writer went between the read and the write).
        await expect(
          b.setCanary('catalog', canaryInput({ percent: 50, owner: 'controller-b' }), { expected: 1 }),
        ).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', retryable: false });
        await expect(
          b.setCanary('catalog', canaryInput({ percent: 50, owner: 'controller-b' }), { expected: 3 }),
        ).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
        expect(await b.getCanary('catalog')).toMatchObject({ percent: 25, owner: 'controller-a', revision: 2 });
        // Over none with a revision expected: none is not revision 1.
        await expect(a.setCanary('search', canaryInput(), { expected: 1 })).rejects.toMatchObject({
          code: 'FAILED_PRECONDITION',
        });
        expect(await a.getCanary('search')).toBeUndefined();
        // Of two writes expecting the same revision, exactly one lands.
        const outcomes = await Promise.allSettled([
          a.setCanary('catalog', canaryInput({ percent: 50 }), { expected: 2 }),
          b.setCanary('catalog', canaryInput({ percent: 75, owner: 'controller-b' }), { expected: 2 }),
        ]);
        expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect((await a.getCanary('catalog'))?.revision).toBe(3);
      });

      it('clears a record (conditionally too), and a record written after a clear starts at revision 1', async (context) => {
        const registry = await canaryClient(context);
        await registry.setCanary('catalog', canaryInput());
        await registry.setCanary('catalog', canaryInput({ percent: 25 }));
        await expect(registry.setCanary('catalog', undefined, { expected: 1 })).rejects.toMatchObject({
          code: 'FAILED_PRECONDITION',
        });
        expect((await registry.getCanary('catalog'))?.revision).toBe(2);
        expect(await registry.setCanary('catalog', undefined, { expected: 2 })).toBeUndefined();
        expect(await registry.getCanary('catalog')).toBeUndefined();
        // A clear of none is no error, and a conditional write then expects none.
        expect(await registry.setCanary('catalog', undefined)).toBeUndefined();
        expect(await registry.setCanary('catalog', undefined, { expected: null })).toBeUndefined();
        const again = await registry.setCanary('catalog', canaryInput(), { expected: null });
        expect(again?.revision).toBe(1);
      });

      it("runs the owner's lease down on the registry's clock: ownerLeaseMs counts down, 0 once run out or released", async (context) => {
        const registry = await canaryClient(context);
        const written = await registry.setCanary('catalog', canaryInput({ leaseMs: 10_000 }));
        expect(written?.ownerLeaseMs).toBeGreaterThan(9_000);
        expect(written?.ownerLeaseMs).toBeLessThanOrEqual(10_000);
        await new Promise((resolve) => setTimeout(resolve, 150));
        const later = await registry.getCanary('catalog');
        expect(later?.ownerLeaseMs).toBeLessThan(written?.ownerLeaseMs as number);
        expect(later?.ownerLeaseMs).toBeGreaterThan(8_000);
        // Released: the record stays, held by nobody.
        const released = await registry.setCanary('catalog', canaryInput({ leaseMs: 0 }));
        expect(released).toMatchObject({ ownerLeaseMs: 0, owner: 'controller-a', revision: 2 });
        expect((await registry.getCanary('catalog'))?.ownerLeaseMs).toBe(0);
        // Run out: 0, never negative, and the record stays as it was.
        await registry.setCanary('catalog', canaryInput({ leaseMs: 100 }));
        await new Promise((resolve) => setTimeout(resolve, 250));
        expect(await registry.getCanary('catalog')).toMatchObject({ ownerLeaseMs: 0, state: 'running', revision: 3 });
      });

      it('refuses bad input with INVALID_ARGUMENT naming the field, and writes nothing', async (context) => {
        const registry = await canaryClient(context);
        const stored = await registry.setCanary('catalog', canaryInput());
        const bad: [unknown, string][] = [
          [null, 'record'],
          ['running', 'record'],
          [canaryInput({ canary: 'not a version!' }), 'record.canary'],
          [canaryInput({ stable: undefined as never }), 'record.stable'],
          [canaryInput({ percent: 101 }), 'record.percent'],
          [canaryInput({ percent: 2.5 }), 'record.percent'],
          [canaryInput({ percent: -1 }), 'record.percent'],
          [canaryInput({ state: 'paused' as never }), 'record.state'],
          [canaryInput({ reason: 'x'.repeat(1025) }), 'record.reason'],
          [canaryInput({ owner: '' }), 'record.owner'],
          [canaryInput({ owner: 'o'.repeat(257) }), 'record.owner'],
          [canaryInput({ leaseMs: -1 }), 'record.leaseMs'],
          [canaryInput({ leaseMs: 86_400_001 }), 'record.leaseMs'],
          [canaryInput({ leaseMs: Number.NaN }), 'record.leaseMs'],
          [{ ...canaryInput(), revision: 9 }, 'record.revision'],
        ];
        for (const [record, field] of bad) {
          await expect(registry.setCanary('catalog', record as never), field).rejects.toMatchObject({
            code: 'INVALID_ARGUMENT',
            field,
          });
        }
        const badOptions: [unknown, string][] = [
          [{ expected: 0 }, 'options.expected'],
          [{ expected: 1.5 }, 'options.expected'],
          [{ expected: '1' }, 'options.expected'],
          [{ expect: 1 }, 'options.expect'],
        ];
        for (const [options, field] of badOptions) {
          await expect(registry.setCanary('catalog', canaryInput(), options as never), field).rejects.toMatchObject({
            code: 'INVALID_ARGUMENT',
            field,
          });
        }
        await expect(registry.setCanary('Bad Name', canaryInput())).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          field: 'service',
        });
        await expect(registry.getCanary('a:b')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'service' });
        expect(await registry.getCanary('catalog')).toEqual({ ...stored, ownerLeaseMs: expect.any(Number) });
      });

      it('outlives every instance of the service and a clear of its route rule (a rollback is remembered)', async (context) => {
        const a = await canaryClient(context);
        const b = await canaryClient(context);
        const stable = await a.register(input('catalog', 'stable-1', { version: '1.4.0' }));
        const canary = await a.register(input('catalog', 'canary-1', { version: '1.5.0' }));
        await a.setRoute('catalog', { splits: { '1.4.0': 95, '1.5.0': 5 } });
        await a.setCanary('catalog', canaryInput());
        const rolledBack = await a.setCanary(
          'catalog',
          canaryInput({ percent: 0, state: 'rolled-back', reason: 'error rate', leaseMs: 0 }),
          { expected: 1 },
        );
        await a.setRoute('catalog', undefined);
        await canary.deregister();
        await stable.deregister();
        expect(await b.list('catalog')).toEqual([]);
        expect(await b.getRoute('catalog')).toBeUndefined();
        expect(await b.getCanary('catalog')).toEqual({ ...rolledBack, ownerLeaseMs: 0 });
        // And a new release of the service finds it where it was left.
        await b.register(input('catalog', 'canary-2', { version: '1.5.0' }));
        expect(await b.getCanary('catalog')).toMatchObject({ state: 'rolled-back', revision: 2 });
      });
    });
  });
}

/** The contract's canary record: 1.5.0 at 5 % against 1.4.0, held by controller-a for 10 s. */
function canaryInput(patch: Partial<CanaryRecordInput> = {}): CanaryRecordInput {
  return {
    canary: '1.5.0',
    stable: '1.4.0',
    percent: 5,
    state: 'running',
    owner: 'controller-a',
    leaseMs: 10_000,
    ...patch,
  };
}

/** A registry whose optional canary record methods are there. */
type CanaryRegistry = Registry & Required<Pick<Registry, 'getCanary' | 'setCanary'>>;

/**
 * A registry blip just as a service marks itself ready: `registry`'s registrations of `service`
 * refuse their first `times` (default 1) updates to status `up` with REGISTRY_UNAVAILABLE (what a Redis
 * restarting at that moment answers). Patches `registry.register` in place, for the rest of the
 * test. Resolves once an update to `up` has been accepted.
 */
export function refuseFirstUp(registry: Registry, service: string, times = 1): Promise<void> {
  let refusals = times;
  let accepted!: () => void;
  const upAccepted = new Promise<void>((resolve) => {
    accepted = resolve;
  });
  const register = registry.register.bind(registry);
  registry.register = async (input, options) => {
    const registration = await register(input, options);
    if (input.service !== service) return registration;
    const update = registration.update.bind(registration);
    registration.update = async (patch) => {
      if (patch.status === 'up' && refusals-- > 0) throw new RegistryUnavailableError('registry unavailable (test)');
      await update(patch);
      if (patch.status === 'up') accepted();
    };
    return registration;
  };
  return upAccepted;
}
