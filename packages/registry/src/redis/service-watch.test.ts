import {
  RegistryUnavailableError,
  type RouteRule,
  type ServiceInstance,
  SwitchyardError,
  silentLogger,
} from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RegistryEvent } from '../registry.js';
import { serviceKeys } from './keys.js';
import { ServiceWatch, type ServiceWatchContext } from './service-watch.js';
import { WarnOnce } from './warn-once.js';

const instance = (id: string): ServiceInstance => ({
  id,
  service: 'echo',
  host: '127.0.0.1',
  ports: { grpc: 50051 },
  weight: 1,
  metadata: {},
  status: 'up',
});

/** A registry backend whose list() answers whatever the test says Redis holds now. */
function fakeBackend() {
  const held: {
    rev: number;
    instances: ServiceInstance[];
    /** The route key: a rule, 'cleared' (an empty value), or missing (never set, or lost). */
    route: RouteRule | 'cleared' | undefined;
  } = { rev: 5, instances: [instance('a'), instance('b'), instance('c')], route: undefined };
  /** Rules restoreRoute() wrote back; what it answers when it does not (a failure to throw). */
  const restored: RouteRule[] = [];
  const restoreFails: { with: Error | 'refused' | undefined } = { with: undefined };
  let release: (() => void) | undefined;
  const context: ServiceWatchContext = {
    service: 'echo',
    keys: serviceKeys('test', 'echo'),
    logger: silentLogger,
    warnings: new WarnOnce(silentLogger),
    // Far beyond the test: only the resyncs the test triggers run.
    sweepIntervalMs: 3_600_000,
    resyncIntervalMs: 3_600_000,
    list: async () => {
      const answer = {
        rev: held.rev,
        instances: [...held.instances],
        route: held.route === 'cleared' ? undefined : held.route,
        routeMissing: held.route === undefined,
      };
      if (release === undefined) return answer;
      // A list held in flight until the test lets it finish.
      await new Promise<void>((resolve) => {
        const previous = release;
        release = () => {
          previous?.();
          resolve();
        };
      });
      return answer;
    },
    restoreRoute: async (rule) => {
      if (restoreFails.with === 'refused') return 'refused';
      if (restoreFails.with) throw restoreFails.with;
      if (held.route !== undefined) return 'present';
      held.route = rule;
      restored.push(rule);
      return 'restored';
    },
    readRev: async () => held.rev,
    sweep: async () => {},
    forgetSweeps: async () => {},
    subscribe: async () => {},
    unsubscribe: async () => {},
  };
  return {
    context,
    held,
    restored,
    restoreFails,
    holdLists: () => {
      release = () => {};
    },
    releaseLists: () => {
      const pending = release;
      release = undefined;
      pending?.();
    },
  };
}

const ids = (event: RegistryEvent): string[] =>
  event.type === 'snapshot' ? event.instances.map((entry) => entry.id).sort() : [];

let watch: ServiceWatch | undefined;
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  await watch?.close();
  watch = undefined;
  vi.useRealTimers();
});

/** Starts the watch and returns the events its listener gets from now on (not the initial snapshot). */
async function watching(backend: ReturnType<typeof fakeBackend>): Promise<RegistryEvent[]> {
  watch = new ServiceWatch(backend.context);
  await watch.started;
  const events: RegistryEvent[] = [];
  watch.addListener((event) => events.push(event));
  events.length = 0;
  return events;
}

/** The ids of every snapshot the listener got, in order. */
const views = (events: readonly RegistryEvent[]): string[][] =>
  events.filter((event) => event.type === 'snapshot').map(ids);

/** a and b have written themselves back into the restarted Redis; c has not. */
function cameBackWithoutC(backend: ReturnType<typeof fakeBackend>): void {
  backend.held.rev = 2;
  backend.held.instances = [instance('a'), instance('b')];
}

async function watchedAfterOutage(backend: ReturnType<typeof fakeBackend>): Promise<RegistryEvent[]> {
  const events = await watching(backend);
  watch!.onConnectionLost(new RegistryUnavailableError('redis down'));
  // Redis comes back empty (it restarted): the owners have not written themselves back yet.
  backend.held.rev = 0;
  backend.held.instances = [];
  watch!.onConnectionRestored();
  await vi.advanceTimersByTimeAsync(0);
  return events;
}

describe('ServiceWatch while a list is in flight', () => {
  it('keeps a change announced during the list, which the (older) list does not show', async () => {
    const backend = fakeBackend();
    const events = await watching(backend);

    // A resync starts (a revision check, say) and lists Redis as it is: a, b, c at revision 5.
    backend.holdLists();
    watch!.onConnectionRestored();
    await vi.advanceTimersByTimeAsync(0);
    // While that list is in flight, d registers (revision 6) and its message arrives first.
    watch!.onMessage(JSON.stringify({ rev: 6, type: 'up', instance: instance('d') }));
    backend.releaseLists();
    await vi.advanceTimersByTimeAsync(0);

    expect(views(events).at(-1)).toEqual(['a', 'b', 'c', 'd']);
    expect(views(events).filter((view) => !view.includes('d'))).toEqual([]);
  });

  it('lists again after the in-flight list when a message reveals a gap during it', async () => {
    const backend = fakeBackend();
    await watching(backend);
    const lists = vi.spyOn(backend.context, 'list');
    backend.holdLists();
    watch!.onConnectionRestored();
    await vi.advanceTimersByTimeAsync(0);
    // Revision 6 was missed: 7 arrives while listing revision 5.
    backend.held.rev = 7;
    backend.held.instances = [instance('a'), instance('b'), instance('c'), instance('e')];
    watch!.onMessage(JSON.stringify({ rev: 7, type: 'down', id: 'c', reason: 'deregistered' }));
    backend.releaseLists();
    await vi.advanceTimersByTimeAsync(0);
    expect(lists).toHaveBeenCalledTimes(2);
  });
});

describe('ServiceWatch after an outage', () => {
  it('keeps instances missing from every list during the grace period, not just the first', async () => {
    const backend = fakeBackend();
    const events = await watchedAfterOutage(backend);
    // A second resync inside the grace period (a revision check saw the new Redis's revision):
    // one owner is back, two are still writing themselves back.
    backend.held.rev = 1;
    backend.held.instances = [instance('a')];
    watch!.onConnectionRestored();
    await vi.advanceTimersByTimeAsync(1_000);

    expect(views(events)).toEqual([['a', 'b', 'c']]); // the stale period ended; nobody dropped
  });

  it('decides once the grace period is over: an instance that did not come back is removed', async () => {
    const backend = fakeBackend();
    const events = await watchedAfterOutage(backend);
    cameBackWithoutC(backend); // c died during the outage
    await vi.advanceTimersByTimeAsync(3_000);

    expect(views(events).at(-1)).toEqual(['a', 'b']);
  });

  it('still decides when a resync is in flight as the grace period ends', async () => {
    const backend = fakeBackend();
    const events = await watchedAfterOutage(backend);
    cameBackWithoutC(backend);
    await vi.advanceTimersByTimeAsync(2_900);
    // A resync starts just before the grace period ends and is still listing when it does.
    backend.holdLists();
    watch!.onConnectionRestored();
    await vi.advanceTimersByTimeAsync(200);
    backend.releaseLists();
    await vi.advanceTimersByTimeAsync(0);

    expect(views(events).at(-1)).toEqual(['a', 'b']);
  });

  it('decides after a grace period whose timer a fake clock took away, at the next list', async () => {
    // A test suite's fake clock (vi.useFakeTimers) drops its pending timers when uninstalled.
    const backend = fakeBackend();
    const events = await watchedAfterOutage(backend); // the grace period's timer is this fake clock's
    cameBackWithoutC(backend);
    vi.useRealTimers();
    vi.useFakeTimers();
    watch!.onConnectionRestored(); // a resync (a revision check, say) on the next clock
    await vi.advanceTimersByTimeAsync(0);
    expect(views(events).at(-1)).toEqual(['a', 'b', 'c']); // still within a grace period
    await vi.advanceTimersByTimeAsync(3_000);
    expect(views(events).at(-1)).toEqual(['a', 'b']);
  });

  it('does not stretch the grace period with every list taken during it', async () => {
    const backend = fakeBackend();
    const events = await watchedAfterOutage(backend);
    cameBackWithoutC(backend);
    for (let step = 0; step < 5; step++) {
      await vi.advanceTimersByTimeAsync(1_000);
      watch!.onConnectionRestored(); // a resync every second
    }
    await vi.advanceTimersByTimeAsync(0);
    expect(views(events).at(-1)).toEqual(['a', 'b']);
  });
});

describe('ServiceWatch after Redis lost its data without a reconnect (FLUSHALL)', () => {
  /** The revision count Redis starts again after losing it: the server time in µs. */
  const restarted = 1_700_000_000_000_000;

  it('keeps the live instances that have not written themselves back yet, as after an outage', async () => {
    const backend = fakeBackend();
    const events = await watching(backend);
    // Flushed: a writes itself back first (its message starts a new count); b and c follow at
    // their next heartbeats.
    backend.held.rev = restarted;
    backend.held.instances = [instance('a')];
    watch!.onMessage(JSON.stringify({ rev: restarted, first: true, type: 'up', instance: instance('a') }));
    await vi.advanceTimersByTimeAsync(1_000);
    backend.held.rev = restarted + 2;
    backend.held.instances = [instance('a'), instance('b'), instance('c')];
    await vi.advanceTimersByTimeAsync(3_000);

    expect(views(events).filter((view) => view.length < 3)).toEqual([]);
  });

  it('keeps them too when a revision check finds the count gone, and still removes one that never came back', async () => {
    const backend = fakeBackend();
    const events = await watching(backend);
    backend.held.rev = 0;
    backend.held.instances = [];
    watch!.onConnectionRestored(); // a resync, as the periodic check that read revision 0 asks for
    await vi.advanceTimersByTimeAsync(0);
    expect(views(events)).toEqual([]);
    backend.held.rev = restarted + 1;
    backend.held.instances = [instance('a'), instance('b')]; // c died meanwhile
    await vi.advanceTimersByTimeAsync(3_000);

    expect(views(events)).toEqual([['a', 'b']]);
  });
});

describe('ServiceWatch while its lists keep failing', () => {
  it('holds no more change messages than one list attempt could need, however long the lists fail', async () => {
    const backend = fakeBackend();
    const events = await watching(backend);
    // Lists now fail (each one times out, say, on a loaded Redis) while writers keep publishing:
    // pub/sub goes over its own connection. Every message that came while a list was in flight
    // was kept for the next list, and a failed list kept them all, for as long as lists failed.
    const failing = vi.spyOn(backend.context, 'list').mockRejectedValue(new RegistryUnavailableError('timed out'));
    let rev = 5;
    for (let second = 0; second < 30; second++) {
      backend.holdLists();
      watch!.onConnectionRestored(); // a resync (a gap, a revision check, a reconnect)
      for (let index = 0; index < 20; index++) {
        rev++;
        watch!.onMessage(JSON.stringify({ rev, type: 'up', instance: instance(`n${rev}`) }));
      }
      await vi.advanceTimersByTimeAsync(1_000);
    }
    const buffered = (watch as unknown as { buffered: unknown[] }).buffered;
    expect(buffered.length).toBeLessThanOrEqual(20);
    // Lists work again: the view is repaired from Redis (which holds every change), as before.
    failing.mockRestore();
    backend.releaseLists();
    backend.held.rev = rev;
    backend.held.instances = [instance('a'), instance('z')];
    watch!.onConnectionRestored();
    await vi.advanceTimersByTimeAsync(0);
    expect(views(events).at(-1)).toEqual(['a', 'z']);
  });

  it('still sees Redis lost its data when the message that says so came during a failed list', async () => {
    const backend = fakeBackend();
    const events = await watching(backend);
    const failing = vi.spyOn(backend.context, 'list').mockRejectedValue(new RegistryUnavailableError('timed out'));
    watch!.onConnectionRestored();
    // Flushed: a writes itself back first (a new count starts) while the list is failing.
    watch!.onMessage(JSON.stringify({ rev: 1_700_000_000_000_000, first: true, type: 'up', instance: instance('a') }));
    await vi.advanceTimersByTimeAsync(0);
    failing.mockRestore();
    backend.held.rev = 1_700_000_000_000_000;
    backend.held.instances = [instance('a')];
    await vi.advanceTimersByTimeAsync(1_000); // the retry lists: b and c have not written themselves back yet
    expect(views(events).filter((view) => view.length < 3)).toEqual([]);
  });

  it('keeps one retry going, not one more per resync asked for while the lists fail', async () => {
    const backend = fakeBackend();
    await watching(backend);
    // Redis answers, but about bad data (a key of the wrong type): every list fails until an
    // operator repairs it. Meanwhile resyncs are asked for now and then (a reconnect, a gap, a
    // revision check), each while no list is in flight.
    const failing = vi
      .spyOn(backend.context, 'list')
      .mockRejectedValue(new SwitchyardError('DATA_LOSS', 'route holds a list, where the registry keeps a string'));
    for (let request = 0; request < 10; request++) {
      watch!.onConnectionRestored();
      await vi.advanceTimersByTimeAsync(300);
    }
    failing.mockClear();
    await vi.advanceTimersByTimeAsync(10_000);
    // One retry a second, as RETRY_AFTER_FAILURE_MS says: each failed list used to arm a timer of
    // its own beside the one already pending, so every request left a retry loop that never ended
    // (10 requests: 10 lists a second, sent to Redis for as long as the data stayed bad).
    expect(failing.mock.calls.length).toBeLessThanOrEqual(11);
  });
});

describe('ServiceWatch when Redis lost the route rule', () => {
  const canary: RouteRule = { splits: { '1.0.0': 100, '1.1.0': 0 } };
  const routes = (events: readonly RegistryEvent[]) =>
    events.flatMap((event) => (event.type === 'route' ? [event.rule] : event.type === 'snapshot' ? [event.route] : []));

  it('writes back the rule its view held when Redis came back from an outage with none, and never shows it gone', async () => {
    const backend = fakeBackend();
    backend.held.route = canary;
    const events = await watching(backend);
    watch!.onConnectionLost(new RegistryUnavailableError('redis down'));
    // Redis restarted empty: no instance has written itself back yet, and nobody rewrites the rule.
    backend.held.rev = 0;
    backend.held.instances = [];
    backend.held.route = undefined;
    watch!.onConnectionRestored();
    await vi.advanceTimersByTimeAsync(0);

    expect(backend.restored).toEqual([canary]);
    expect(backend.held.route).toEqual(canary);
    expect(routes(events).every((rule) => rule !== undefined)).toBe(true);
  });

  it('writes it back after a flush seen without a reconnect (a count that began again)', async () => {
    const backend = fakeBackend();
    backend.held.route = canary;
    const events = await watching(backend);
    backend.held.route = undefined;
    backend.held.rev = 1_700_000_000_000_000;
    watch!.onMessage(JSON.stringify({ rev: backend.held.rev, first: true, type: 'up', instance: instance('a') }));
    await vi.advanceTimersByTimeAsync(0);

    expect(backend.restored).toEqual([canary]);
    expect(routes(events).every((rule) => rule !== undefined)).toBe(true);
  });

  it('leaves a missing rule alone on an ordinary resync (someone deleted it: a message was missed)', async () => {
    const backend = fakeBackend();
    backend.held.route = canary;
    const events = await watching(backend);
    backend.held.route = undefined;
    backend.held.rev = 7;
    watch!.onMessage(JSON.stringify({ rev: 7, type: 'down', id: 'c', reason: 'deregistered' })); // 6 was missed
    await vi.advanceTimersByTimeAsync(0);

    expect(backend.restored).toEqual([]);
    expect(routes(events)).toEqual([undefined]);
  });

  it('does not bring back a rule cleared before the loss, whether it saw the clear or not', async () => {
    const seen = fakeBackend();
    seen.held.route = canary;
    const seenEvents = await watching(seen);
    seen.held.route = 'cleared';
    seen.held.rev = 6;
    watch!.onMessage(JSON.stringify({ rev: 6, type: 'route', rule: null }));
    expect(routes(seenEvents)).toEqual([undefined]);
    seen.held.route = undefined; // then Redis restarts empty
    watch!.onConnectionLost(new RegistryUnavailableError('redis down'));
    seen.held.rev = 0;
    watch!.onConnectionRestored();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.restored).toEqual([]);
    await watch!.close();

    // Cleared while this watcher was cut off (Redis keeps the clear as an empty value): it stays cleared.
    const missed = fakeBackend();
    missed.held.route = canary;
    const missedEvents = await watching(missed);
    watch!.onConnectionLost(new RegistryUnavailableError('redis down'));
    missed.held.route = 'cleared';
    watch!.onConnectionRestored();
    await vi.advanceTimersByTimeAsync(0);
    expect(missed.restored).toEqual([]);
    expect(routes(missedEvents)).toEqual([undefined]);
  });

  it('tries again when the write-back fails, keeping the rule meanwhile; follows Redis when it may not write', async () => {
    const backend = fakeBackend();
    backend.held.route = canary;
    const events = await watching(backend);
    backend.restoreFails.with = new RegistryUnavailableError('OOM command not allowed');
    watch!.onConnectionLost(new RegistryUnavailableError('redis down'));
    backend.held.route = undefined;
    watch!.onConnectionRestored();
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.restored).toEqual([]);
    backend.restoreFails.with = undefined;
    await vi.advanceTimersByTimeAsync(1_000); // the retry, though nothing else asks for a resync
    expect(backend.restored).toEqual([canary]);
    expect(routes(events).every((rule) => rule !== undefined)).toBe(true);
    await watch!.close();

    const readOnly = fakeBackend();
    readOnly.held.route = canary;
    const readOnlyEvents = await watching(readOnly);
    readOnly.restoreFails.with = 'refused';
    watch!.onConnectionLost(new RegistryUnavailableError('redis down'));
    readOnly.held.route = undefined;
    watch!.onConnectionRestored();
    await vi.advanceTimersByTimeAsync(2_000);
    // The snapshot ending the stale period kept the rule while the write was tried; then Redis's answer stands.
    expect(routes(readOnlyEvents)).toEqual([canary, undefined]);
  });
});
