import type { RouteRule, ServiceInstance } from '@switchyard/core';
import type { RegistryEvent } from './registry.js';

/**
 * The current instances of one watched service, and the rule for turning a change into an event:
 * an event is produced only when the state really changes, so listeners never see duplicates.
 * Shared by every registry backend.
 */
export class WatchState {
  readonly instances = new Map<string, ServiceInstance>();
  route: RouteRule | undefined = undefined;

  /** Applies a route change; returns the event to emit, or undefined when nothing changed. */
  setRoute(rule: RouteRule | undefined): RegistryEvent | undefined {
    if (sameRoute(this.route, rule)) return undefined;
    this.route = rule;
    return { type: 'route', rule };
  }

  /** Applies an instance write; returns the event to emit, or undefined when nothing changed. */
  put(instance: ServiceInstance): RegistryEvent | undefined {
    const previous = this.instances.get(instance.id);
    if (previous && sameInstance(previous, instance)) return undefined;
    this.instances.set(instance.id, instance);
    return { type: previous ? 'update' : 'up', instance };
  }

  /** Applies a removal; returns the event to emit, or undefined when the id was unknown. */
  remove(id: string, reason: 'deregistered' | 'expired'): RegistryEvent | undefined {
    return this.instances.delete(id) ? { type: 'down', id, reason } : undefined;
  }

  /** Replaces the whole state; returns true when it differs from before. */
  replace(instances: readonly ServiceInstance[]): boolean {
    let changed = instances.length !== this.instances.size;
    if (!changed) {
      for (const instance of instances) {
        const previous = this.instances.get(instance.id);
        if (!previous || !sameInstance(previous, instance)) {
          changed = true;
          break;
        }
      }
    }
    if (changed) {
      this.instances.clear();
      for (const instance of instances) this.instances.set(instance.id, instance);
    }
    return changed;
  }

  snapshot(): RegistryEvent {
    return { type: 'snapshot', instances: [...this.instances.values()], ...(this.route ? { route: this.route } : {}) };
  }
}

/** Equality of two route rules (or their absence). */
export function sameRoute(a: RouteRule | undefined, b: RouteRule | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return sameRecord(a.splits, b.splits);
}

/** Structural equality of two instances (field order independent). */
export function sameInstance(a: ServiceInstance, b: ServiceInstance): boolean {
  return (
    a.id === b.id &&
    a.service === b.service &&
    a.host === b.host &&
    a.version === b.version &&
    a.zone === b.zone &&
    a.weight === b.weight &&
    a.status === b.status &&
    sameRecord(a.ports, b.ports) &&
    sameRecord(a.metadata, b.metadata)
  );
}

function sameRecord(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}
