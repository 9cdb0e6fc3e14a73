import {
  type CallOptions,
  Client,
  credentials,
  Metadata,
  type ServiceError,
  status as GrpcStatus,
} from '@grpc/grpc-js';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, DEFAULT_GRPC_CLIENT_OPTIONS } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import {
  circuitBreaker as cockatielCircuitBreaker,
  handleAll,
  handleWhen,
  retry as cockatielRetry,
  SamplingBreaker,
  TimeoutStrategy,
  timeout as cockatielTimeout,
  wrap,
} from 'cockatiel';
import type { SubjectSettings, Target } from '../transport/protocol.js';
import type { ClientSubject } from '../transport/worker-runtime.js';
import { ECHO_REQUEST, type EchoResponse, loadEcho } from './echo.js';
import { benchTracing, checkSpansDiscarded, discardEndedSpans } from '../transport/bench-tracing.js';
import { freshTraceparents } from '../transport/fresh-traceparents.js';

/** What the parent sends a gRPC worker (see catalog.ts). */
export interface GrpcSubjectSettings extends SubjectSettings {
  kind: 'raw' | 'switchyard' | 'cockatiel';
  channels: number;
  /** Per-call deadline in ms; 0: none (raw calls without `deadline`). */
  deadlineMs: number;
  traced: boolean;
  /** Traced, but every span is dropped as it ends (see discardEndedSpans). */
  discardSpans: boolean;
  /** The share of calls traced, when traced. */
  sampleRatio: number;
  /** `service.name` of its spans, when traced. */
  serviceName: string;
  /** instrumentation-grpc must be patching grpc-js in this process. */
  otelPreload: boolean;
  /** Raw channels get `grpc.enable_channelz: 0`. */
  channelzOff: boolean;
  /** Raw calls carry a fresh `traceparent` each (see fresh-traceparents.ts). */
  traceparent: boolean;
}

const Echo = loadEcho();
const { path, requestSerialize, responseDeserialize } = Echo.Say;

/** Builds the subject a gRPC worker measures. */
export async function createGrpcSubject(
  id: string,
  target: Target,
  rawSettings: SubjectSettings,
): Promise<ClientSubject> {
  const settings = rawSettings as GrpcSubjectSettings;
  const notes: string[] = [];
  const tracing = settings.traced ? benchTracing(settings.serviceName, settings.sampleRatio) : undefined;
  const discarded = tracing && settings.discardSpans ? discardEndedSpans() : undefined;
  if (discarded) notes.push('every span is discarded as it ends (no batching, encoding or sending)');
  if (settings.otelPreload) {
    const unary = Client.prototype.makeUnaryRequest as { __wrapped?: boolean };
    if (unary.__wrapped !== true) throw new Error(`${id}: instrumentation-grpc did not patch grpc-js`);
    notes.push('grpc-js `Client.prototype.makeUnaryRequest` is wrapped by instrumentation-grpc');
  }
  const subject = await build(settings, target);
  return {
    ...subject,
    notes: [...notes, ...(subject.notes ?? [])],
    ...(tracing ? { flush: () => tracing.forceFlush() } : {}),
    close: async () => {
      await subject.close();
      await tracing?.shutdown();
      if (discarded) checkSpansDiscarded(discarded, id);
    },
  };
}

async function build(settings: GrpcSubjectSettings, target: Target): Promise<ClientSubject> {
  switch (settings.kind) {
    case 'raw':
      return rawSubject(settings, target);
    case 'cockatiel':
      return cockatielSubject(settings, target);
    case 'switchyard':
      return switchyardSubject(settings, target);
  }
}

/** grpc-js channels to the server: one as `new Client(addr, insecure)`, several with a local subchannel pool each. */
function rawClients(target: Target, channels: number, channelzOff = false): Client[] {
  const options = {
    'grpc.enable_retries': 0,
    ...(channels === 1 ? {} : { 'grpc.use_local_subchannel_pool': 1 }),
    ...(channelzOff ? { 'grpc.enable_channelz': 0 } : {}),
  };
  return Array.from(
    { length: channels },
    () => new Client(`${target.host}:${target.port}`, credentials.createInsecure(), options),
  );
}

function rawSubject(settings: GrpcSubjectSettings, target: Target): ClientSubject {
  const clients = rawClients(target, settings.channels, settings.channelzOff);
  const deadlineMs = settings.deadlineMs;
  const traceparent = settings.traceparent ? freshTraceparents() : undefined;
  let next = 0;
  const call = (): Promise<EchoResponse> =>
    new Promise((resolve, reject) => {
      const client = clients[next] as Client;
      next = next + 1 === clients.length ? 0 : next + 1;
      const done = (error: ServiceError | null, response?: EchoResponse): void => {
        if (error) reject(error);
        else resolve(response as EchoResponse);
      };
      if (traceparent) {
        // grpc-js makes an empty Metadata (and options) for a call given none: this only adds the header.
        const metadata = new Metadata();
        metadata.set('traceparent', traceparent());
        const options: CallOptions = deadlineMs > 0 ? { deadline: Date.now() + deadlineMs } : {};
        client.makeUnaryRequest(path, requestSerialize, responseDeserialize, ECHO_REQUEST, metadata, options, done);
      } else if (deadlineMs > 0) {
        const options: CallOptions = { deadline: Date.now() + deadlineMs };
        client.makeUnaryRequest(path, requestSerialize, responseDeserialize, ECHO_REQUEST, options, done);
      } else {
        client.makeUnaryRequest(path, requestSerialize, responseDeserialize, ECHO_REQUEST, done);
      }
    });
  return {
    call,
    close: async () => {
      for (const client of clients) client.close();
    },
  };
}

/**
 * Raw grpc-js on one channel inside cockatiel 3.2.1, configured like the Switchyard client's default
 * policy as far as cockatiel allows: an overall cooperative timeout (the call is cancelled when it
 * fires), up to 3 attempts on UNAVAILABLE (`maxAttempts` counts retries), a breaker opening at 50 %
 * failures over 10 s with at least 20 calls (`minimumRps: 2`).
 */
function cockatielSubject(settings: GrpcSubjectSettings, target: Target): ClientSubject {
  const [client] = rawClients(target, 1) as [Client];
  const policy = wrap(
    cockatielTimeout(settings.deadlineMs, TimeoutStrategy.Cooperative),
    cockatielRetry(
      handleWhen((error) => (error as ServiceError).code === GrpcStatus.UNAVAILABLE),
      { maxAttempts: 2 },
    ),
    cockatielCircuitBreaker(handleAll, {
      halfOpenAfter: 5_000,
      breaker: new SamplingBreaker({ threshold: 0.5, duration: 10_000, minimumRps: 2 }),
    }),
  );
  const call = (): Promise<EchoResponse> =>
    policy.execute(
      ({ signal }) =>
        new Promise<EchoResponse>((resolve, reject) => {
          const onAbort = (): void => pending.cancel();
          const pending = client.makeUnaryRequest(
            path,
            requestSerialize,
            responseDeserialize,
            ECHO_REQUEST,
            (error: ServiceError | null, response?: EchoResponse) => {
              signal.removeEventListener('abort', onAbort);
              if (error) reject(error);
              else resolve(response as EchoResponse);
            },
          );
          signal.addEventListener('abort', onAbort, { once: true });
        }),
    );
  return {
    call,
    close: async () => client.close(),
  };
}

/**
 * The full Switchyard stack: a MemoryRegistry with the server registered, `createDiscovery` with
 * `p2c-ewma`, `createGrpcClient` with its default policy (retry with budget + circuit breaker) and
 * every other option at its default except `channelsPerInstance` when the subject says otherwise,
 * and a per-call `deadlineMs`.
 */
async function switchyardSubject(settings: GrpcSubjectSettings, target: Target): Promise<ClientSubject> {
  const registry = new MemoryRegistry();
  await registry.register({ id: 'echo-1', service: 'echo', host: target.host, ports: { grpc: target.port } });
  const discovery = createDiscovery({ registry, service: 'echo', balancer: 'p2c-ewma' });
  await discovery.ready({ timeoutMs: 10_000 });
  const client = createGrpcClient({
    definition: Echo,
    discovery,
    ...(settings.channels === DEFAULT_GRPC_CLIENT_OPTIONS.channelsPerInstance
      ? {}
      : { channelsPerInstance: settings.channels }),
  });
  const options = { deadlineMs: settings.deadlineMs };
  return {
    call: () => client.say(ECHO_REQUEST, options),
    close: async () => {
      await client.close();
      await discovery.close();
      await registry.close();
    },
  };
}
