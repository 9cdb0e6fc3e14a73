import { RegistryUnavailableError, type ServiceInstance, silentLogger } from '@switchyard/core';
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
  const held = { rev: 5, instances: [instance('a'), instance('b'), instance('c')] };
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
      const answer = { rev: held.rev, instances: [...held.instances], route: undefined };
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
    readRev: async () => held.rev,
    sweep: async () => {},
    forgetSweeps: async () => {},
    subscribe: async () => {},
    unsubscribe: async () => {},
  };
  return {
    context,
    held,
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
