/**
 * The deployment contract, `deploy/services.json`: images, ports, probes and shared
 * configuration of the shopping-guide services. Every check in this package reads it, so
 * the manifests, the Compose file and the example services agree on one source of truth.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is `packages/deploy-tests/src/contract.ts`). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** `deploy/` in the repository. */
export const deployDir = join(repoRoot, 'deploy');

/** One probe as the contract states it: an HTTP GET or a native gRPC health check. */
export interface ProbeContract {
  httpGet?: { path: string; port: number };
  grpc?: { port: number; service: string };
}

/** One example service. */
export interface ServiceContract {
  protocol: 'http' | 'grpc';
  description: string;
  image: string;
  /** Relative to the repository root, which is the build context. */
  dockerfile: string;
  /** Container ports by name, e.g. `{ grpc: 50051, metrics: 9464 }`. */
  ports: Record<string, number>;
  metricsPath?: string;
  probes: { readiness: ProbeContract; liveness: ProbeContract };
  /** The Kubernetes Service, where it is not the default (headless, same ports). */
  service?: { type: string; port: number; targetPort: number };
  /** Custom per-pod metrics (Prometheus names) the production HPA scales on, besides CPU. */
  autoscaling?: { podsMetrics: string[] };
  /** Services this one calls; Compose starts them first. */
  dependsOn: string[];
}

/** The whole of `deploy/services.json`, without its `$comment` keys. */
export interface Contract {
  partOf: string;
  version: string;
  runAsUser: number;
  runAsGroup: number;
  writableDir: string;
  /** The least memory request and limit of an example service's container (Kubernetes quantities). */
  memory: { request: string; limit: string };
  healthcheck: { command: string[]; script: string };
  /** The shared environment: ConfigMap `switchyard-config`, Compose's shared environment. */
  config: Record<string, string>;
  /** Variables each workload sets itself (name → how), e.g. OTEL_SERVICE_NAME. */
  env: Record<string, string>;
  /** The variable that must carry a service's metrics port, on every service that declares one. */
  metricsEnv: { variable: string };
  /** Where the registry's password lives and the variables that carry it. */
  registryAuth: { secret: string; key: string; variable: string; redisVariable: string };
  services: Record<string, ServiceContract>;
}

/** Name of the ConfigMap that carries {@link Contract.config}. */
export const CONFIG_MAP_NAME = 'switchyard-config';

function withoutComments<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutComments) as T;
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(([key]) => !key.startsWith('$'));
  return Object.fromEntries(entries.map(([key, item]) => [key, withoutComments(item)])) as T;
}

/** Reads and minimally checks `deploy/services.json` (or another contract file). */
export function loadContract(path = join(deployDir, 'services.json')): Contract {
  const contract = withoutComments(JSON.parse(readFileSync(path, 'utf8')) as Contract);
  const names = Object.keys(contract.services ?? {});
  if (names.length === 0) throw new Error(`${path}: "services" is empty`);
  for (const name of names) {
    const service = contract.services[name]!;
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) throw new Error(`${path}: "${name}" is not a DNS label`);
    if (service.image !== `switchyard/${name}:${contract.version}`) {
      throw new Error(`${path}: services.${name}.image should be switchyard/${name}:${contract.version}`);
    }
    if (!service.dockerfile || !service.probes?.readiness || !service.probes?.liveness) {
      throw new Error(`${path}: services.${name} needs image, dockerfile and probes.readiness/liveness`);
    }
  }
  return contract;
}
