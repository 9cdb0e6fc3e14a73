import { performance } from 'node:perf_hooks';
import type { RegistryEvent } from '@switchyard/registry';

/** When and how a watcher learnt of an expected change. */
export interface Arrival {
  at: number;
  /** `event`: the pushed up/down; `snapshot`: a resync that happened to carry the change first. */
  via: 'event' | 'snapshot';
}

interface Expectation {
  kind: 'up' | 'down';
  resolve(arrival: Arrival): void;
}

/**
 * Turns a watch listener into "resolve when instance X goes up / down". The arrival time is taken inside the
 * listener, not after the awaiting code resumes, so the figure is the registry's latency and not the
 * benchmark's scheduling. A periodic resync can deliver a change as part of a `snapshot` (and then the pushed
 * message is skipped as already applied); that still counts as the watcher converging, and is tallied apart.
 */
export class EventWaiter {
  private readonly expected = new Map<string, Expectation>();

  readonly listener = (event: RegistryEvent): void => {
    const at = performance.now();
    switch (event.type) {
      case 'up':
        this.settle(event.instance.id, 'up', { at, via: 'event' });
        break;
      case 'down':
        this.settle(event.id, 'down', { at, via: 'event' });
        break;
      case 'snapshot': {
        const present = new Set(event.instances.map((instance) => instance.id));
        for (const [id, expectation] of this.expected) {
          if ((expectation.kind === 'up') === present.has(id))
            this.settle(id, expectation.kind, { at, via: 'snapshot' });
        }
        break;
      }
      default:
        break;
    }
  };

  /** Call before causing the change, so an event that arrives first is not missed. */
  expect(kind: 'up' | 'down', id: string, timeoutMs: number): Promise<Arrival> {
    return new Promise<Arrival>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.expected.delete(id);
        reject(new Error(`watcher saw no '${kind}' for ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.expected.set(id, {
        kind,
        resolve: (arrival) => {
          clearTimeout(timer);
          resolve(arrival);
        },
      });
    });
  }

  private settle(id: string, kind: 'up' | 'down', arrival: Arrival): void {
    const expectation = this.expected.get(id);
    if (expectation?.kind !== kind) return;
    this.expected.delete(id);
    expectation.resolve(arrival);
  }
}
