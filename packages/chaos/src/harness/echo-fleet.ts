/** Echo service replicas as child processes, and the SDK environment every scenario gives them. */
import { chaosRoot, type ServiceProcess, startProcess } from './processes.js';

/** The SDK's configuration for a child, as a deployment would set it (loopback only, short timings). */
export function sdkEnv(registryUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    SWITCHYARD_REGISTRY_URL: registryUrl,
    SWITCHYARD_LISTEN_HOST: '127.0.0.1',
    SWITCHYARD_ADVERTISE_HOST: '127.0.0.1',
    SWITCHYARD_TTL_MS: '3000',
    SWITCHYARD_DRAIN_DELAY_MS: '1000',
    SWITCHYARD_SHUTDOWN_GRACE_MS: '3000',
    GRPC_PORT: '0',
    HTTP_PORT: '0',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_METRICS_EXPORTER: 'none',
    SWITCHYARD_METRICS_PORT: '',
    ...overrides,
  };
}

/** Starts `count` echo replicas and resolves once every one registered (ids in `instanceId`). */
export async function startEchoReplicas(
  registryUrl: string,
  count: number,
  envOf: (index: number) => Record<string, string> = () => ({}),
): Promise<ServiceProcess[]> {
  const procs = Array.from({ length: count }, (_, index) =>
    startProcess({
      label: `echo#${index}`,
      entry: 'src/fixtures/echo-service.ts',
      cwd: chaosRoot,
      env: sdkEnv(registryUrl, envOf(index)),
    }),
  );
  await Promise.all(procs.map((proc) => proc.started(30_000)));
  return procs;
}
