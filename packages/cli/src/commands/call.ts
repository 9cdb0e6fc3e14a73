import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { context as otelContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { DeadlineExceededError, SwitchyardError } from '@switchyard/core';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, grpcClientMethodName, loadService } from '@switchyard/grpc';
import { initTracing } from '@switchyard/tracing';
import { expectPositionals, integerOption, stringOption, stringsOption } from '../args.js';
import { CliError, ExitCode, UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { oneLine, toCliError } from '../describe-error.js';
import { formatLatency } from '../format/duration.js';
import { terminalSafeJson } from '../format/table.js';
import { writeLine } from '../io.js';
import { requireInstances } from './ls.js';

/** @default options of `switchyard call`. */
export const DEFAULT_CALL_OPTIONS = Object.freeze({ deadlineMs: 10_000, readyTimeoutMs: 5_000 });

/** One physical attempt of the call, from its client span. */
interface Attempt {
  attempt: number;
  address: string;
  ok: boolean;
  durationMs: number;
}

/** `switchyard call <service> <pkg.Service/Method> '<json>' --proto <file>`. */
export const callCommand: Command = {
  name: 'call',
  summary: 'call a gRPC method by service name, through discovery and the client policy',
  usage: "<service> <package.Service/Method> ['<json>'] --proto <file> [-I dir]...",
  details: `Like grpcurl, but by registry service name: the instance is picked by discovery (p2c-ewma;
maglev on the --key given) and the call runs under @switchyard/grpc's default policy (retry on
UNAVAILABLE on another instance, circuit breaker) and deadline. The request is JSON with the proto3 field names in
lowerCamelCase (default {}; [] for a method whose requests stream; null is refused). The response is printed as
JSON on stdout. The call is traced: the CLI starts a root span, every attempt is a child span whose
W3C traceparent travels to the server, and the trace id is printed (on stderr; in the --json
object) so the server side can be found in your tracing backend. Server-streaming methods print every message. A client-streaming or bidirectional
method takes a JSON array of requests, sent in order (bidirectional ones print every message, as
server streaming does).

Examples:
  switchyard call catalog shop.catalog.v1.CatalogService/GetProduct '{"id":"sku-1"}' \\
    --proto shop/catalog/v1/catalog.proto -I protos
  switchyard call echo switchyard.echo.v1.Echo/Say '{"message":"hi"}' --proto echo.proto --json
  switchyard call echo switchyard.echo.v1.EchoStreams/Collect '[{"message":"a"},{"message":"b"}]' \\
    --proto switchyard/echo/v1/echo_streams.proto -I protos

--json prints {"response", "traceId", "attempts":[{"attempt","address","ok","durationMs"}]}
(server streaming and bidirectional: one {"message": …} line per message, then {"traceId", "messages"}).
Exit codes: 0 the call succeeded; 1 the call failed (any gRPC status, no instance, deadline),
unknown service, registry unreachable; 2 usage: malformed JSON, unknown method or service (named in
full: package.Service), proto not loadable, a request that does not match the message type.`,
  options: {
    proto: { type: 'string', placeholder: 'file', description: 'the .proto file defining the service (required)' },
    'import-path': {
      type: 'string',
      short: 'I',
      multiple: true,
      placeholder: 'dir',
      description: 'directory to resolve imports (and --proto) from',
    },
    'deadline-ms': {
      type: 'string',
      placeholder: 'ms',
      description: `deadline of the whole call: registry lookup, retries included (default ${DEFAULT_CALL_OPTIONS.deadlineMs})`,
    },
    header: {
      type: 'string',
      short: 'H',
      multiple: true,
      placeholder: "'name: value'",
      description: 'request metadata; a repeated name sends every value, a -bin name takes base64',
    },
    key: {
      type: 'string',
      placeholder: 'key',
      description: 'affinity key: the instance is picked by maglev (consistent hashing) on it',
    },
  },
  async run(context) {
    const [service, methodName, body] = expectPositionals('call', context.args, ['service', 'method', 'json'], 1) as [
      string,
      string,
      string | undefined,
    ];
    const proto = stringOption(context.args, 'proto');
    if (!proto) throw new UsageError('--proto <file> is required: the .proto file that defines the service');
    const deadlineMs = integerOption(context.args, 'deadline-ms', DEFAULT_CALL_OPTIONS.deadlineMs, 1, 86_400_000);
    // Malformed JSON is refused before anything is loaded; its shape once the method's kind is known.
    const json = body === undefined ? undefined : parseJson(body);
    const metadata = parseHeaders(stringsOption(context.args, 'header'));
    const key = stringOption(context.args, 'key');
    if (key === '') throw new UsageError('--key must not be empty: it is the affinity key the instance is chosen by');
    const { serviceName, method } = parseMethod(methodName);
    const definition = loadDefinition(proto, serviceName, method, stringsOption(context.args, 'import-path'));
    const methodDefinition = definition[method] as MethodDefinition<unknown, unknown> | undefined;
    if (!methodDefinition) {
      throw new UsageError(`${serviceName} has no method ${method}; methods: ${Object.keys(definition).join(', ')}`);
    }
    // A method whose requests stream takes them as a JSON array; any other, one JSON object. Only
    // an absent body defaults: `null` (what `jq` gives for a missing key) was sent as an empty request.
    const request = methodDefinition.requestStream
      ? requestsOf(body === undefined ? [] : json, `${serviceName}/${method}`)
      : requestOf(body === undefined ? {} : json);

    // The deadline of the whole call starts here: the registry lookup and the wait for discovery's
    // first view count against it, as the attempts do.
    const deadline = Date.now() + deadlineMs;
    const opened = context.registry();
    await beforeDeadline(requireInstances(context, service), deadline, service).catch((error: unknown) => {
      if (SwitchyardError.hasCode(error, 'DEADLINE_EXCEEDED')) throw deadlineExceeded(serviceName, method, deadlineMs);
      throw error;
    });
    // A key means sticky routing: maglev, the sticky balancer, picks by it (the same instance a
    // maglev client of the service picks for that key). p2c-ewma ignores keys, so --key did nothing.
    const discovery = createDiscovery({
      registry: opened.registry,
      service,
      ...(key === undefined ? {} : { balancer: 'maglev' }),
    });
    const tracing = initTracing({ serviceName: 'switchyard-cli', exporter: 'memory', sampleRatio: 1 });
    // The client's own naming: `rpc Close` is client.Close, not client.close() (which would close it).
    const camel = grpcClientMethodName(method);
    const client = createGrpcClient({ definition, discovery }) as unknown as Record<
      string,
      (request: object, options: object) => Promise<unknown>
    > & {
      stream: Record<string, (request: object, options: object) => AsyncIterable<unknown>>;
      clientStream: Record<string, (requests: object[], options: object) => Promise<unknown>>;
      bidiStream: Record<string, (requests: object[], options: object) => AsyncIterable<unknown>>;
      close(): Promise<void>;
    };
    const callOptions = { deadline, metadata, ...(key === undefined ? {} : { key }) };
    const tracer = trace.getTracer('@switchyard/cli');
    const root = tracer.startSpan(`switchyard call ${serviceName}/${method}`, { kind: SpanKind.INTERNAL });
    const traceId = root.spanContext().traceId;
    let messages = 0;
    try {
      await readyWithin(discovery, deadline, DEFAULT_CALL_OPTIONS.readyTimeoutMs);
      let response: unknown;
      await otelContext.with(trace.setSpan(otelContext.active(), root), async () => {
        if (!methodDefinition.responseStream) {
          response = methodDefinition.requestStream
            ? await client.clientStream[camel]!(request as object[], callOptions)
            : await client[camel]!(request, callOptions);
          return;
        }
        const messagesOf = methodDefinition.requestStream
          ? client.bidiStream[camel]!(request as object[], callOptions)
          : client.stream[camel]!(request, callOptions);
        for await (const message of messagesOf) {
          messages++;
          const text = context.json
            ? JSON.stringify({ message }, bytesAsBase64)
            : JSON.stringify(message, bytesAsBase64, 2);
          writeLine(context.io.stdout, terminalSafeJson(text));
        }
      });
      root.end();
      const attempts = attemptsOf(tracing.getFinishedSpans(), traceId);
      if (methodDefinition.responseStream) {
        if (context.json) writeLine(context.io.stdout, JSON.stringify({ traceId, messages }));
        else writeLine(context.io.stderr, `${traceLine(traceId, attempts)}; ${messages} messages`);
      } else if (context.json) {
        writeLine(context.io.stdout, terminalSafeJson(JSON.stringify({ response, traceId, attempts }, bytesAsBase64)));
      } else {
        // A response is the server's text: it must not drive the terminal (see terminalSafeJson).
        writeLine(context.io.stdout, terminalSafeJson(JSON.stringify(response, bytesAsBase64, 2)));
        writeLine(context.io.stderr, traceLine(traceId, attempts));
      }
      return ExitCode.OK;
    } catch (error) {
      root.setStatus({ code: SpanStatusCode.ERROR });
      root.end();
      if (SwitchyardError.hasCode(error, 'DEADLINE_EXCEEDED')) {
        throw deadlineExceeded(serviceName, method, deadlineMs, traceId);
      }
      const failure = toCliError(error, opened);
      // A request refused before it was sent is a usage error: no trace worth looking up.
      if (failure.exitCode === ExitCode.USAGE) throw failure;
      throw new CliError(`${failure.message} (trace ${traceId})`, failure.exitCode);
    } finally {
      await client.close();
      await discovery.close();
      await tracing.shutdown();
    }
  },
};

/** The failure of a call that ran out of time, with its trace id once there is a trace. */
function deadlineExceeded(serviceName: string, method: string, deadlineMs: number, traceId?: string): CliError {
  const trace = traceId === undefined ? '' : ` (trace ${traceId})`;
  return new CliError(`${serviceName}/${method}: deadline of ${deadlineMs} ms exceeded${trace}`);
}

/**
 * Settles as `lookup` does, or rejects with DEADLINE_EXCEEDED at `deadline`. A registry that stops
 * answering held the lookup until the registry's own timeouts (2 s and more), far past
 * `--deadline-ms`. A lookup still running then is abandoned: its outcome no longer matters.
 */
async function beforeDeadline<T>(lookup: Promise<T>, deadline: number, service: string): Promise<T> {
  lookup.catch(() => undefined); // an abandoned lookup's late failure is not an unhandled rejection
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new DeadlineExceededError(`${service}: no answer from the registry before the deadline`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([lookup, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for discovery's first view of the service, within the call's deadline (and at most
 * `readyTimeoutMs`, so a registry that lists but never delivers a watch is reported as such when
 * the deadline is long). The wait used to come on top of the deadline: `--deadline-ms 500` could
 * take 5.5 s. DEADLINE_EXCEEDED when the deadline ends it, the registry's error otherwise.
 */
async function readyWithin(
  discovery: ReturnType<typeof createDiscovery>,
  deadline: number,
  readyTimeoutMs: number,
): Promise<void> {
  const remainingMs = Math.max(0, deadline - Date.now());
  try {
    await discovery.ready({ timeoutMs: Math.min(readyTimeoutMs, remainingMs) });
  } catch (error) {
    if (remainingMs > readyTimeoutMs) throw error;
    throw new DeadlineExceededError(`${discovery.service}: no view from the registry before the deadline`, {
      cause: error,
    });
  }
}

/** `pkg.Service/Method` or `pkg.Service.Method` (grpcurl accepts both). */
export function parseMethod(text: string): { serviceName: string; method: string } {
  const trimmed = text.replace(/^\//, '');
  const separator = trimmed.includes('/') ? trimmed.lastIndexOf('/') : trimmed.lastIndexOf('.');
  const serviceName = trimmed.slice(0, separator);
  const method = trimmed.slice(separator + 1);
  if (separator <= 0 || !/^[A-Za-z_][\w.]*$/.test(serviceName) || !/^[A-Za-z_]\w*$/.test(method)) {
    throw new UsageError(`method must look like package.Service/Method, got ${JSON.stringify(text)}`);
  }
  return { serviceName, method };
}

/** The request body's JSON, refused as a usage error when it does not parse. */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new UsageError(`the request body is not valid JSON: ${oneLine((error as Error).message)}`);
  }
}

/** The request of a unary or server-streaming call: a JSON object. */
export function requestOf(parsed: unknown): object {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`the request body must be a JSON object, got ${jsonKind(parsed)}`);
  }
  return parsed;
}

/** What a parsed JSON value is, for a message: `null` and arrays named as such (typeof says "object"). */
function jsonKind(parsed: unknown): string {
  if (parsed === null) return 'null';
  return Array.isArray(parsed) ? 'an array' : typeof parsed;
}

/** The requests of a client-streaming or bidirectional call: a JSON array of objects. */
export function requestsOf(parsed: unknown, method: string): object[] {
  if (!Array.isArray(parsed)) {
    throw new UsageError(
      `${method} streams its requests: give them as a JSON array of objects ('[{…},{…}]'), got ${jsonKind(parsed)}`,
    );
  }
  parsed.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new UsageError(`request ${index} of the array must be a JSON object, got ${JSON.stringify(item)}`);
    }
  });
  return parsed as object[];
}

/**
 * Headers gRPC itself writes on every call (grpc-js replaces a caller's value, or its compression
 * drops it), or that only a server sends: given with -H, they never reached the server as given.
 */
const SET_BY_GRPC = new Map([
  ['grpc-timeout', 'gRPC sends the deadline itself; use --deadline-ms'],
  ['content-type', 'gRPC sends application/grpc itself'],
  ['te', 'gRPC sends te: trailers itself'],
  ['user-agent', "gRPC sends the client's user agent itself"],
  ['grpc-encoding', "gRPC's compression sets it"],
  ['grpc-accept-encoding', "gRPC's compression sets it"],
  ['grpc-status', 'only a server sends it (in trailers)'],
  ['grpc-message', 'only a server sends it (in trailers)'],
]);

/**
 * `-H 'name: value'` flags as call metadata. A name given more than once sends every value, in
 * order (an object keyed by name kept only the last one). A `-bin` name takes its value as base64
 * and sends the bytes, as grpcurl does: gRPC carries binary metadata as bytes, and a string there
 * is refused by the client.
 */
function parseHeaders(headers: readonly string[]): Record<string, string[] | Buffer[]> {
  const metadata: Record<string, string[] | Buffer[]> = {};
  for (const header of headers) {
    const colon = header.indexOf(':');
    const name = header.slice(0, colon).trim().toLowerCase();
    if (colon <= 0 || !/^[0-9a-z_.-]+$/.test(name)) {
      throw new UsageError(`--header must look like 'name: value', got ${JSON.stringify(header)}`);
    }
    const value = header.slice(colon + 1).trim();
    const setBy = SET_BY_GRPC.get(name);
    if (setBy !== undefined) {
      // Sent, it was replaced or dropped on the way without a word, and the call ran without it.
      throw new UsageError(`--header ${name}: cannot be sent as metadata: ${setBy}`);
    }
    if (name.endsWith('-bin')) {
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value) || value.replace(/=+$/, '').length % 4 === 1) {
        throw new UsageError(
          `--header ${name}: the value of a -bin header must be base64, got ${JSON.stringify(value)}`,
        );
      }
      const values = (metadata[name] ?? []) as Buffer[];
      values.push(Buffer.from(value, 'base64'));
      metadata[name] = values;
    } else {
      // gRPC sends a text value as printable ASCII only: a newline, a tab or "é" failed at the
      // call, after the registry lookup, named after the client option it had become
      // (`options.metadata.<name>`), not the flag the user typed.
      if (!/^[\x20-\x7e]*$/.test(value)) {
        throw new UsageError(
          `--header ${name}: the value must be printable ASCII (gRPC metadata; other bytes go base64-encoded in a -bin header), got ${JSON.stringify(value)}`,
        );
      }
      const values = (metadata[name] ?? []) as string[];
      values.push(value);
      metadata[name] = values;
    }
  }
  return metadata;
}

/**
 * The service's definition. A service the file does not define is a mistake in the method
 * argument, not in --proto: named so, with what loadService says to use instead (the full name
 * for a short one, or the services the file defines).
 */
function loadDefinition(
  proto: string,
  serviceName: string,
  method: string,
  includeDirs: readonly string[],
): ServiceDefinition {
  try {
    // Like grpcurl, the working directory is an import path when none is given; it is also tried
    // last, so a --proto path relative to the working directory is found next to -I directories.
    return loadService(proto, serviceName, { includeDirs: [...includeDirs, '.'] });
  } catch (error) {
    const { field, rule = (error as Error).message } = error as { field?: string; rule?: string };
    if (field === 'serviceName') throw new UsageError(`${serviceName}/${method}: ${oneLine(rule)}`);
    throw new UsageError(`--proto ${proto}: ${oneLine(rule)}`);
  }
}

/** The client spans of this trace (one per physical attempt), oldest first. */
function attemptsOf(spans: ReturnType<ReturnType<typeof initTracing>['getFinishedSpans']>, traceId: string): Attempt[] {
  return spans
    .filter((span) => span.kind === SpanKind.CLIENT && span.spanContext().traceId === traceId)
    .map((span) => {
      const attributes = span.attributes;
      const host = String(attributes['server.address'] ?? '?');
      const port = attributes['server.port'];
      return {
        attempt: Number(attributes['switchyard.attempt'] ?? 1),
        address: port === undefined ? host : `${host.includes(':') ? `[${host}]` : host}:${port}`,
        ok: span.status.code !== SpanStatusCode.ERROR,
        durationMs: Math.round((span.duration[0] * 1e3 + span.duration[1] / 1e6) * 10) / 10,
      };
    })
    .sort((a, b) => a.attempt - b.attempt);
}

function traceLine(traceId: string, attempts: readonly Attempt[]): string {
  const tries = attempts
    .map((attempt) => `${attempt.address} ${attempt.ok ? 'ok' : 'failed'} ${formatLatency(attempt.durationMs)}`)
    .join(', ');
  return `trace ${traceId}${tries ? ` · ${attempts.length} attempt${attempts.length === 1 ? '' : 's'}: ${tries}` : ''}`;
}

/** JSON replacer: bytes fields as base64 (the proto3 JSON mapping) instead of {type:'Buffer',data:[…]}. */
function bytesAsBase64(_key: string, value: unknown): unknown {
  const candidate = value as { type?: unknown; data?: unknown };
  if (candidate && candidate.type === 'Buffer' && Array.isArray(candidate.data)) {
    return Buffer.from(candidate.data as number[]).toString('base64');
  }
  return value;
}
