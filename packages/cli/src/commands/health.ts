import { Client, credentials, Metadata, status as GrpcStatusCode, type ServiceError } from '@grpc/grpc-js';
import type { ServiceInstance } from '@switchyard/core';
import { healthServiceDefinition } from '@switchyard/grpc';
import { expectPositionals, integerOption, stringOption } from '../args.js';
import { ExitCode, UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { formatLatency } from '../format/duration.js';
import { sortInstances } from '../format/instance.js';
import { formatTable } from '../format/table.js';
import { writeJsonLine, writeLine } from '../io.js';
import { requireInstances } from './ls.js';

/** @default options of `switchyard health`. */
export const DEFAULT_HEALTH_OPTIONS = Object.freeze({ timeoutMs: 2_000, port: 'grpc', checkService: '' });

/** The outcome of one instance's health check. */
export interface HealthResult {
  readonly id: string;
  /** `host:port`, or null when the instance has no port of that name. */
  readonly address: string | null;
  /** The instance's status in the registry. */
  readonly registryStatus: ServiceInstance['status'];
  /** SERVING, NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN, or the gRPC status of a failed check (UNAVAILABLE…), or NO_PORT. */
  readonly health: string;
  /** Round trip of the check, connecting included (a fresh connection per check). */
  readonly latencyMs: number | null;
  readonly error: string | null;
}

/** `switchyard health <service>`. */
export const healthCommand: Command = {
  name: 'health',
  summary: 'run the gRPC health check (grpc.health.v1 Check) on every instance of a service',
  usage: '<service>',
  details: `Calls grpc.health.v1.Health/Check on each live instance's gRPC port directly (not
through discovery), in parallel, and prints its status and latency. A draining instance answers
NOT_SERVING.

Examples:
  switchyard health catalog
  switchyard health catalog --check-service shop.catalog.v1.CatalogService --timeout-ms 500

Exit codes: 0 every instance SERVING; 1 any instance not SERVING or unreachable, unknown service,
registry unreachable; 2 usage.`,
  options: {
    'timeout-ms': {
      type: 'string',
      placeholder: 'ms',
      description: `deadline of each check (default ${DEFAULT_HEALTH_OPTIONS.timeoutMs})`,
    },
    port: {
      type: 'string',
      placeholder: 'name',
      description: `which named port of the instance serves gRPC (default ${DEFAULT_HEALTH_OPTIONS.port})`,
    },
    'check-service': {
      type: 'string',
      placeholder: 'name',
      description: 'the service name to ask about (default "": the whole server)',
    },
  },
  async run(context) {
    const [service] = expectPositionals('health', context.args, ['service']) as [string];
    const timeoutMs = integerOption(context.args, 'timeout-ms', DEFAULT_HEALTH_OPTIONS.timeoutMs, 1, 600_000);
    const port = stringOption(context.args, 'port') ?? DEFAULT_HEALTH_OPTIONS.port;
    // `--port "$UNSET"` checked a port named "" on every instance: all NO_PORT, exit 1, a fleet
    // reported unhealthy for a mistake in the command line.
    if (port.trim() === '') {
      throw new UsageError(`--port must name a port of the instances (default ${DEFAULT_HEALTH_OPTIONS.port})`);
    }
    const checkService = stringOption(context.args, 'check-service') ?? DEFAULT_HEALTH_OPTIONS.checkService;
    const instances = sortInstances(await requireInstances(context, service));
    const results = await Promise.all(
      instances.map((instance) => checkInstance(instance, { port, timeoutMs, checkService })),
    );
    const serving = results.filter((result) => result.health === 'SERVING').length;
    const healthy = serving === results.length;
    if (context.json) {
      writeJsonLine(context.io.stdout, { service, healthy, serving, total: results.length, instances: results });
    } else {
      const table = formatTable(
        ['id', 'address', 'registry', 'health', 'latency', 'detail'],
        results.map((result) => [
          result.id,
          result.address ?? '-',
          result.registryStatus,
          result.health,
          result.latencyMs === null ? '-' : formatLatency(result.latencyMs),
          result.error ?? '',
        ]),
      );
      writeLine(context.io.stdout, table);
    }
    if (!healthy) {
      writeLine(
        context.io.stderr,
        `switchyard health: ${results.length - serving} of ${results.length} instances of ${service} not SERVING`,
      );
    }
    return healthy ? ExitCode.OK : ExitCode.FAILURE;
  },
};

/** One Check call on one instance, on its own connection, under a deadline. Never rejects. */
export async function checkInstance(
  instance: ServiceInstance,
  options: { port: string; timeoutMs: number; checkService: string },
): Promise<HealthResult> {
  const base = { id: instance.id, registryStatus: instance.status };
  // Own ports only: `--port constructor` read Object's constructor and "checked" host:function….
  const port = Object.hasOwn(instance.ports, options.port) ? instance.ports[options.port] : undefined;
  if (port === undefined) {
    return {
      ...base,
      // null, not undefined: JSON.stringify drops an undefined key, and --json promises every key.
      address: null,
      health: 'NO_PORT',
      latencyMs: null,
      // The ports it has, so that an HTTP-only instance (or a port under another name) reads as such.
      error: `no "${options.port}" port registered${describePorts(instance)}`,
    };
  }
  const address =
    instance.host.includes(':') && !instance.host.startsWith('[')
      ? `[${instance.host}]:${port}`
      : `${instance.host}:${port}`;
  const check = healthServiceDefinition().Check;
  if (!check) throw new Error('grpc.health.v1 definition has no Check method');
  const client = new Client(address, credentials.createInsecure(), {
    'grpc.enable_retries': 0,
    'grpc.use_local_subchannel_pool': 1,
  });
  const started = performance.now();
  try {
    const response = await new Promise<{ status?: string }>((resolve, reject) => {
      client.makeUnaryRequest(
        check.path,
        check.requestSerialize,
        check.responseDeserialize as (bytes: Buffer) => { status?: string },
        { service: options.checkService },
        new Metadata(),
        { deadline: Date.now() + options.timeoutMs },
        (error: ServiceError | null, value?: { status?: string }) => (error ? reject(error) : resolve(value ?? {})),
      );
    });
    return {
      ...base,
      address,
      health: response.status ?? 'UNKNOWN',
      latencyMs: elapsedSince(started),
      error: null,
    };
  } catch (error) {
    const serviceError = error as ServiceError;
    const name = GrpcStatusCode[serviceError.code] ?? 'UNKNOWN';
    return {
      ...base,
      address,
      health: String(name),
      latencyMs: elapsedSince(started),
      error: withHint(shortDetail(serviceError.details || serviceError.message || '')),
    };
  } finally {
    client.close();
  }
}

function elapsedSince(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

/** grpc-js details, without the noise: "No connection established. Last error: connect ECONNREFUSED 10.0.0.7:50051". */
function shortDetail(details: string): string {
  return details
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\b(Error|TypeError): /g, '')
    .replace(/\.? Resolution note:.*$/, '')
    .replace(/ \(\d{4}-\d\d-\d\dT[\d:.]+Z\)$/, '')
    .trim();
}

/**
 * grpc-js says only "Protocol error" when the port answers, but not in HTTP/2: most often an
 * HTTP/1 server (an HTTP port checked with --port, or a service that registered its HTTP port under
 * the gRPC name).
 */
function withHint(detail: string): string {
  return /\bProtocol error\b/.test(detail)
    ? `${detail}: the port does not speak gRPC (HTTP/2); a Switchyard HTTP server answers GET /readyz instead`
    : detail;
}

/** ` (ports: http=8080)` for a NO_PORT line, or ` (no ports)`. */
function describePorts(instance: ServiceInstance): string {
  const ports = Object.entries(instance.ports).map(([name, port]) => `${name}=${port}`);
  return ports.length === 0 ? ' (no ports)' : ` (ports: ${ports.join(', ')})`;
}
