import { createRequire } from 'node:module';
import { InvalidArgumentError } from '@switchyard/core';
import { readEnv } from './env.js';

/** What this module needs of @grpc/grpc-js's `Client` class. */
export interface GrpcClientClass {
  /** Where `@opentelemetry/instrumentation-grpc` leaves its wrapped methods, which is what is looked for. */
  readonly prototype: object;
}

/** Values of `SWITCHYARD_INSTRUMENTATION_GRPC`: detect, or force the answer. */
export type InstrumentationGrpcSetting = 'auto' | 'on' | 'off';

const SETTINGS: readonly InstrumentationGrpcSetting[] = ['auto', 'on', 'off'];
const RESCAN_INTERVAL_MS = 1_000;

let setting: InstrumentationGrpcSetting | undefined;
let loadedClients: GrpcClientClass[] = [];
let nextScanAt = 0;

function readSetting(): InstrumentationGrpcSetting {
  const raw = readEnv('SWITCHYARD_INSTRUMENTATION_GRPC') ?? 'auto';
  const value = raw.toLowerCase();
  if (!(SETTINGS as readonly string[]).includes(value)) {
    // The value as set, not lower-cased: "SomeTimes" read got "sometimes", which is not in the deployment.
    throw new InvalidArgumentError(
      'SWITCHYARD_INSTRUMENTATION_GRPC',
      `must be one of ${SETTINGS.join(', ')} (in any case), got ${JSON.stringify(raw)}`,
    );
  }
  return value as InstrumentationGrpcSetting;
}

/** Every copy of @grpc/grpc-js already loaded in this process (ESM imports load it as CommonJS too). */
function scanLoadedClients(): GrpcClientClass[] {
  const cache = createRequire(`${process.cwd()}/`).cache;
  const found: GrpcClientClass[] = [];
  for (const [path, module] of Object.entries(cache)) {
    if (!/[\\/]@grpc[\\/]grpc-js[\\/]build[\\/]src[\\/]index\.js$/.test(path)) continue;
    const client = (module?.exports as { Client?: GrpcClientClass } | undefined)?.Client;
    if (typeof client === 'function') found.push(client);
  }
  return found;
}

// shimmer, which every OpenTelemetry instrumentation patches with, marks its wrappers this way.
function isWrapped(client: GrpcClientClass): boolean {
  const method: unknown = (client.prototype as { makeUnaryRequest?: unknown }).makeUnaryRequest;
  if (typeof method !== 'function') return false;
  const marks = method as { __wrapped?: unknown; __original?: unknown };
  return marks.__wrapped === true && typeof marks.__original === 'function';
}

/**
 * Whether @opentelemetry/instrumentation-grpc is patching @grpc/grpc-js right now, so the gRPC
 * transport skips its own spans instead of recording every call twice. Detection: the instrumentation
 * wraps `Client.prototype.makeUnaryRequest` with shimmer (`__wrapped`, `__original`); pass the
 * transport's own `Client` class, or let this find the loaded copies of @grpc/grpc-js. The answer is
 * live (it follows `enable()` / `disable()` of the instrumentation) and costs a property read.
 *
 * The switch `SWITCHYARD_INSTRUMENTATION_GRPC` (read once, and again after {@link initTracing} or
 * `shutdown()`) overrides detection: `on` → always true (Switchyard makes only its unary client spans), `off` →
 * always false (Switchyard makes its spans even next to the instrumentation), `auto` (default).
 */
export function instrumentationGrpcActive(client?: GrpcClientClass): boolean {
  setting ??= readSetting();
  if (setting !== 'auto') return setting === 'on';
  if (client !== undefined) return isWrapped(client);
  if (loadedClients.length === 0) {
    const now = Date.now();
    // More than an interval ahead: set under a clock since stepped back (a test suite's fake clock
    // set to a later date, an NTP step), it stopped every scan until that time came.
    if (now < nextScanAt && nextScanAt - now <= RESCAN_INTERVAL_MS) return false;
    nextScanAt = now + RESCAN_INTERVAL_MS;
    loadedClients = scanLoadedClients();
  }
  for (const loaded of loadedClients) if (isWrapped(loaded)) return true;
  return false;
}

/**
 * Reads `SWITCHYARD_INSTRUMENTATION_GRPC` now, throwing INVALID_ARGUMENT naming it for a value it
 * cannot honour (internal): initTracing calls it so that a typo fails at startup, not in the
 * transports' per-call check, where it would fail every traced gRPC call.
 */
export function checkInstrumentationGrpcSetting(): void {
  readSetting();
}

/** Forgets the switch and the loaded copies found, so the next call looks again (internal). */
export function resetInstrumentationGrpcDetection(): void {
  setting = undefined;
  loadedClients = [];
  nextScanAt = 0;
}
