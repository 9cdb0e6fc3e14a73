import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { createDiscovery } from '@switchyard/discovery';
import { createHttpClient } from '@switchyard/http';
import { MemoryRegistry } from '@switchyard/registry';
import { Pool } from 'undici';
import { benchTracing, checkSpansDiscarded, discardEndedSpans } from '../transport/bench-tracing.js';
import { freshTraceparents } from '../transport/fresh-traceparents.js';
import type { SubjectSettings, Target } from '../transport/protocol.js';
import type { ClientSubject } from '../transport/worker-runtime.js';
import { ECHO_PATH, ECHO_PAYLOAD, type EchoReply } from './echo.js';

/** What the parent sends an HTTP worker (see catalog.ts). */
export interface HttpSubjectSettings extends SubjectSettings {
  kind: 'undici' | 'switchyard';
  deadlineMs: number;
  traced: boolean;
  /** The share of calls traced, when traced. */
  sampleRatio: number;
  /** Raw undici traced by @opentelemetry/instrumentation-undici (see instrumentUndici). */
  otelInstrumented: boolean;
  /** Traced, but every span is dropped as it ends (see discardEndedSpans). */
  discardSpans: boolean;
  noPolicy: boolean;
  /** Raw undici requests carry a fresh `traceparent` each (see fresh-traceparents.ts). */
  traceparent: boolean;
  serviceName: string;
}

/** Builds the subject an HTTP worker measures. */
export async function createHttpSubject(
  id: string,
  target: Target,
  rawSettings: SubjectSettings,
): Promise<ClientSubject> {
  const settings = rawSettings as HttpSubjectSettings;
  const tracing = settings.traced ? benchTracing(settings.serviceName, settings.sampleRatio) : undefined;
  const discarded = tracing && settings.discardSpans ? discardEndedSpans() : undefined;
  const instrumentation = tracing && settings.otelInstrumented ? instrumentUndici() : undefined;
  const subject =
    settings.kind === 'undici'
      ? undiciSubject(target, settings.traceparent)
      : await switchyardSubject(settings, target);
  return {
    ...subject,
    ...(tracing ? { flush: () => tracing.forceFlush() } : {}),
    ...(discarded ? { notes: ['every span is discarded as it ends (no batching, encoding or sending)'] } : {}),
    close: async () => {
      await subject.close();
      instrumentation?.disable();
      await tracing?.shutdown();
      if (discarded) checkSpansDiscarded(discarded, id);
    },
  };
}

/**
 * Enables OpenTelemetry's undici instrumentation in this worker: it follows undici's diagnostics
 * channels, so requests made after this, through any undici `Pool`, get a CLIENT span from the
 * registered (initTracing's) tracer provider and a `traceparent` from its propagator.
 */
function instrumentUndici(): UndiciInstrumentation {
  const instrumentation = new UndiciInstrumentation();
  instrumentation.enable();
  return instrumentation;
}

/**
 * Raw undici: one `Pool` with undici's default options, which is what the Switchyard client makes per
 * instance when given no `poolOptions` (so the same number of connections). The JSON body is
 * serialised on every call, as `postJson` does. With `traceparent`, every request adds a fresh one
 * to the same headers.
 */
function undiciSubject(target: Target, traceparent: boolean): ClientSubject {
  const pool = new Pool(`http://${target.host}:${target.port}`);
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  const nextTraceparent = traceparent ? freshTraceparents() : undefined;
  const call = async (): Promise<EchoReply> => {
    const response = await pool.request({
      method: 'POST',
      path: ECHO_PATH,
      // A literal, not `{ ...headers, traceparent }`: on Node 20 that gives every request's headers
      // a hidden class of their own, which costs undici several µs a request (see copyHeaders in
      // @switchyard/http), far more than the header itself.
      headers: nextTraceparent
        ? { 'content-type': 'application/json', accept: 'application/json', traceparent: nextTraceparent() }
        : headers,
      body: JSON.stringify(ECHO_PAYLOAD),
    });
    if (response.statusCode >= 400) {
      await response.body.dump();
      throw new Error(`HTTP ${response.statusCode}`);
    }
    return (await response.body.json()) as EchoReply;
  };
  return { call, close: () => pool.close() };
}

/**
 * The full Switchyard stack: a MemoryRegistry with the server registered, `createDiscovery` with
 * `p2c-ewma`, `createHttpClient` with its default policy (retry with budget + circuit breaker) and
 * default pool, `postJson` with a per-call `deadlineMs`.
 */
async function switchyardSubject(settings: HttpSubjectSettings, target: Target): Promise<ClientSubject> {
  const registry = new MemoryRegistry();
  await registry.register({ id: 'echo-1', service: 'echo', host: target.host, ports: { http: target.port } });
  const discovery = createDiscovery({ registry, service: 'echo', balancer: 'p2c-ewma' });
  await discovery.ready({ timeoutMs: 10_000 });
  const client = createHttpClient({ discovery, ...(settings.noPolicy ? { policy: false as const } : {}) });
  const options = { deadlineMs: settings.deadlineMs };
  return {
    call: () => client.postJson<EchoReply>(ECHO_PATH, ECHO_PAYLOAD, options),
    close: async () => {
      await client.close();
      await discovery.close();
      await registry.close();
    },
  };
}
