import { type RouteRule, type ServiceInstance, validateInstance, validateRouteRule } from '@switchyard/core';
import type { WarnOnce } from './warn-once.js';

/**
 * Turns a stored instance value into a {@link ServiceInstance}, or undefined (with a warning) when
 * it is garbage: not JSON, not a valid instance, or not matching its key. Garbage never throws and
 * never hides the valid entries beside it.
 */
export function decodeInstance(
  service: string,
  id: string,
  raw: string | null | undefined,
  warnings: WarnOnce,
  where: string,
): ServiceInstance | undefined {
  const skip = (problem: string, error?: unknown): undefined => {
    warnings.warn(
      `${where}:${service}:${id}:${problem}:${raw?.length ?? 0}`,
      { service, id, where, problem, ...(error instanceof Error ? { error: error.message } : {}) },
      `switchyard registry: skipped a corrupt entry (${problem})`,
    );
    return undefined;
  };
  if (raw === null || raw === undefined) return skip('lease without an instance entry');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return skip('not JSON', error);
  }
  let instance: ServiceInstance;
  try {
    instance = validateInstance(parsed, 'entry');
  } catch (error) {
    return skip('not a valid instance', error);
  }
  if (instance.id !== id || instance.service !== service) return skip('id or service does not match its key');
  return instance;
}

/** A change message from a service's events channel. */
/**
 * A change as published. `first`: this change created the revision counter (a new service, or
 * Redis lost it), whose count starts at the server time in µs rather than 1.
 */
export type ChangeMessage = { rev: number; first?: true } & (
  | { type: 'route'; rule: RouteRule | undefined; malformed?: boolean }
  | { type: 'up' | 'update'; instance: ServiceInstance }
  | { type: 'down'; id: string; reason: 'deregistered' | 'expired' }
);

/** Parses a change message; undefined (with a warning) for anything malformed. */
export function decodeMessage(service: string, raw: string, warnings: WarnOnce): ChangeMessage | undefined {
  const skip = (problem: string): undefined => {
    warnings.warn(
      `message:${service}:${problem}`,
      { service, problem },
      'switchyard registry: skipped a malformed change message',
    );
    return undefined;
  };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return skip('not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || !Number.isSafeInteger(parsed.rev)) return skip('no revision');
  const rev = parsed.rev as number;
  const head = parsed.first === true ? { rev, first: true as const } : { rev };
  if (parsed.type === 'down') {
    if (typeof parsed.id !== 'string') return skip('down without id');
    const reason = parsed.reason === 'expired' ? 'expired' : 'deregistered';
    return { ...head, type: 'down', id: parsed.id, reason };
  }
  if (parsed.type === 'route') {
    if (parsed.rule === null) return { ...head, type: 'route', rule: undefined };
    const rule = decodeRoute(service, parsed.rule, warnings);
    // A malformed rule still advances the revision; the watcher keeps its previous rule.
    return rule ? { ...head, type: 'route', rule } : { ...head, type: 'route', rule: undefined, malformed: true };
  }
  if (parsed.type === 'up' || parsed.type === 'update') {
    // Checked here: passed on, a missing instance was reported as "lease without an instance
    // entry", a problem of what Redis stores, sending an operator to look for one that is not there.
    if (typeof parsed.instance !== 'object' || parsed.instance === null)
      return skip(`${parsed.type} without an instance`);
    const instance = decodeInstance(
      service,
      String((parsed.instance as { id?: unknown })?.id),
      JSON.stringify(parsed.instance),
      warnings,
      'message',
    );
    return instance ? { ...head, type: parsed.type, instance } : undefined;
  }
  return skip('unknown type');
}

/** Validates a stored route rule; undefined (with a warning) when it is garbage. */
export function decodeRoute(service: string, value: unknown, warnings: WarnOnce): RouteRule | undefined {
  try {
    return validateRouteRule(typeof value === 'string' ? JSON.parse(value) : value);
  } catch (error) {
    warnings.warn(
      `route:${service}:${String(typeof value === 'string' ? value : JSON.stringify(value)).slice(0, 64)}`,
      { service, problem: 'malformed route rule', error: (error as Error).message },
      'switchyard registry: ignored a malformed route rule; keeping the previous one',
    );
    return undefined;
  }
}
