import { describeValue, InvalidArgumentError } from '@switchyard/core';
import { closeInFlightConnections } from './drain-connection.js';

/**
 * What `/healthz` and `/readyz` report. Liveness is always 200 while the process answers;
 * readiness is 200 only while the state is ready and not draining. The service runtime flips it
 * (ready once registered, draining on SIGTERM); tests and hand-rolled servers can too.
 */
export interface HealthState {
  /** Whether the application said it is ready (see setReady). */
  readonly ready: boolean;
  /** True once drain() was called: readiness is 503 from then on. */
  readonly draining: boolean;
  /** `ready && !draining`: what `/readyz` reports. */
  readonly serving: boolean;
  /** Marks the application ready (or not, e.g. while a dependency is down). */
  setReady(ready: boolean): void;
  /** Starts draining: readiness turns 503 for good and responses ask clients to close keep-alive connections. */
  drain(): void;
  /** `HealthState(ready | not ready | draining)`, for logs. */
  toString(): string;
}

/** Options of {@link createHealthState}. */
export interface HealthStateOptions {
  /** Ready from the start. @default true */
  ready?: boolean;
}

/**
 * Creates a {@link HealthState}.
 *
 * @example
 * ```ts
 * const health = createHealthState({ ready: false });
 * const server = createServer(httpHandler(app, { health }));
 * await registration; health.setReady(true);
 * process.once('SIGTERM', () => health.drain());
 * ```
 */
export function createHealthState(options: HealthStateOptions = {}): HealthState {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', `must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'ready') throw new InvalidArgumentError(`options.${key}`, 'unknown option; expected one of ready');
  }
  let ready = options.ready ?? true;
  let draining = false;
  if (typeof ready !== 'boolean') throw new InvalidArgumentError('options.ready', 'must be a boolean');
  const state: HealthState = {
    get ready() {
      return ready;
    },
    get draining() {
      return draining;
    },
    get serving() {
      return ready && !draining;
    },
    setReady(value: boolean) {
      if (typeof value !== 'boolean') {
        throw new InvalidArgumentError('ready', `must be a boolean, got ${describeValue(value)}`);
      }
      ready = value;
    },
    drain() {
      if (draining) return;
      draining = true;
      closeInFlightConnections(state);
    },
    toString: () => `HealthState(${draining ? 'draining' : ready ? 'ready' : 'not ready'})`,
  };
  return state;
}

/** Whether `value` looks like a {@link HealthState} (for option validation). */
export function isHealthState(value: unknown): value is HealthState {
  const candidate = value as Partial<HealthState> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.setReady === 'function' &&
    typeof candidate.drain === 'function' &&
    typeof candidate.serving === 'boolean'
  );
}
