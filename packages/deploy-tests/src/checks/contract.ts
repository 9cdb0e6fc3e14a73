/**
 * The manifests against `deploy/services.json`: for every example service a Deployment with
 * the contract's image, ports, probes, user, writable /tmp and environment, and a metrics port
 * its pods announce to Prometheus; a Service that selects it and reaches its ports; a
 * PodDisruptionBudget. No other workload may use a `switchyard/` image.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { IService } from 'kubernetes-models/v1/Service';
import type { Contract, ProbeContract, ServiceContract } from '../contract.js';
import { CONFIG_MAP_NAME } from '../contract.js';
import type { KubeObject } from '../objects.js';
import {
  containerEnvironment,
  describe,
  effectiveSecurity,
  findObject,
  isGeneratedName,
  ofKind,
  podLabels,
  podSpec,
  resolvePort,
  selectorMatches,
} from '../objects.js';

function checkProbe(
  where: string,
  container: IContainer,
  probe: IProbe | undefined,
  expected: ProbeContract,
): string[] {
  if (!probe) return [`${where}: missing`];
  if (expected.grpc) {
    const actual = probe.grpc;
    if (!actual) return [`${where}: expected a grpc probe`];
    if (actual.port !== expected.grpc.port || (actual.service ?? '') !== expected.grpc.service) {
      return [
        `${where}: grpc ${actual.port} service "${actual.service ?? ''}", expected ${expected.grpc.port} service "${expected.grpc.service}"`,
      ];
    }
  }
  if (expected.httpGet) {
    const actual = probe.httpGet;
    if (!actual) return [`${where}: expected an httpGet probe`];
    const port = resolvePort(container, actual.port);
    if (actual.path !== expected.httpGet.path || port !== expected.httpGet.port) {
      return [`${where}: GET ${actual.path} on ${port}, expected ${expected.httpGet.path} on ${expected.httpGet.port}`];
    }
  }
  return [];
}

function sameEntries(actual: Record<string, unknown>, expected: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  return [...keys].every((key) => actual[key] === expected[key]);
}

function checkContainer(objects: KubeObject[], contract: Contract, name: string, deployment: IDeployment): string[] {
  const expected = contract.services[name]!;
  const pod = podSpec(deployment);
  const container = pod.containers.find((candidate) => candidate.name === name);
  if (!container) return [`${describe(deployment)}: no container named ${name}`];
  const where = `${describe(deployment)} container ${name}`;
  const problems: string[] = [];
  if (container.image !== expected.image)
    problems.push(`${where}: image ${container.image}, expected ${expected.image}`);
  const ports = Object.fromEntries((container.ports ?? []).map((port) => [port.name ?? '', port.containerPort]));
  if (!sameEntries(ports, expected.ports)) {
    problems.push(`${where}: ports ${JSON.stringify(ports)}, expected ${JSON.stringify(expected.ports)}`);
  }
  problems.push(
    ...checkProbe(`${where} readinessProbe`, container, container.readinessProbe, expected.probes.readiness),
  );
  problems.push(...checkProbe(`${where} livenessProbe`, container, container.livenessProbe, expected.probes.liveness));
  const runAsUser = effectiveSecurity(pod, container).runAsUser;
  if (runAsUser !== contract.runAsUser)
    problems.push(`${where}: runAsUser ${runAsUser}, expected ${contract.runAsUser}`);
  const mount = container.volumeMounts?.find((candidate) => candidate.mountPath === contract.writableDir);
  const volume = pod.volumes?.find((candidate) => candidate.name === mount?.name);
  if (!volume?.emptyDir) problems.push(`${where}: ${contract.writableDir} is not an emptyDir mount`);
  if (!container.envFrom?.some((source) => isGeneratedName(source.configMapRef?.name, CONFIG_MAP_NAME))) {
    problems.push(`${where}: does not load ConfigMap ${CONFIG_MAP_NAME}`);
  }
  for (const variable of Object.keys(contract.env)) {
    if (!container.env?.some((candidate) => candidate.name === variable))
      problems.push(`${where}: does not set ${variable}`);
  }
  const environment = containerEnvironment(objects, container);
  const serviceName = environment.get('OTEL_SERVICE_NAME');
  if (serviceName !== name) problems.push(`${where}: OTEL_SERVICE_NAME is ${serviceName}, expected ${name}`);
  problems.push(...checkMetricsEnvironment(where, environment, contract, expected.ports));
  return problems;
}

function checkService(
  objects: KubeObject[],
  name: string,
  expected: ServiceContract,
  deployment: IDeployment,
): string[] {
  const service = findObject<IService>(objects, 'Service', name);
  if (!service) return [`Service/${name}: missing`];
  const problems: string[] = [];
  if (!selectorMatches({ matchLabels: service.spec?.selector ?? {} }, podLabels(deployment))) {
    problems.push(`${describe(service)}: does not select ${describe(deployment)}`);
  }
  const container = podSpec(deployment).containers.find((candidate) => candidate.name === name);
  const reaches = (port: number, targetPort: number) =>
    service.spec?.ports?.some(
      (candidate) =>
        candidate.port === port &&
        container &&
        resolvePort(container, candidate.targetPort ?? candidate.port) === targetPort,
    );
  if (expected.service) {
    const type = service.spec?.type ?? 'ClusterIP';
    if (type !== expected.service.type)
      problems.push(`${describe(service)}: type ${type}, expected ${expected.service.type}`);
    if (!reaches(expected.service.port, expected.service.targetPort)) {
      problems.push(`${describe(service)}: no port ${expected.service.port} → ${expected.service.targetPort}`);
    }
  } else {
    for (const [portName, port] of Object.entries(expected.ports)) {
      if (!reaches(port, port)) problems.push(`${describe(service)}: no port ${port} (${portName}) → ${port}`);
    }
  }
  return problems;
}

/** The pod annotations Prometheus's `kubernetes-pods` scrape job reads (prometheus-community's chart and its examples). */
const SCRAPE_ANNOTATIONS = ['prometheus.io/scrape', 'prometheus.io/port', 'prometheus.io/path'] as const;

/**
 * Every service serves metrics, and its pods tell Prometheus where: services.json declares a
 * metrics port (the gateway declared none, so the public API's request rate, errors and latency,
 * and its retries and breaker openings towards every backend, were recorded and never exported),
 * and the pod template's prometheus.io annotations name that port and `metricsPath`. Without
 * them nothing is scraped, and the production HPA's Pods metric has no series.
 */
function checkScraping(name: string, expected: ServiceContract, deployment: IDeployment): string[] {
  if (expected.ports.metrics === undefined)
    return [`${describe(deployment)}: serves no metrics (services.json declares no metrics port for ${name})`];
  const annotations = deployment.spec?.template.metadata?.annotations ?? {};
  const wanted = ['true', String(expected.ports.metrics), expected.metricsPath ?? '/metrics'];
  return SCRAPE_ANNOTATIONS.flatMap((key, index) =>
    annotations[key] === wanted[index]
      ? []
      : [`${describe(deployment)}: pod annotation ${key} is ${annotations[key] ?? 'unset'}, expected ${wanted[index]}`],
  );
}

/** Problems between one build and the contract; none means the manifests deploy what services.json says. */
export function checkContract(objects: KubeObject[], contract: Contract): string[] {
  const problems: string[] = [];
  const budgets = ofKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
  for (const [name, expected] of Object.entries(contract.services)) {
    const deployment = findObject<IDeployment>(objects, 'Deployment', name);
    if (!deployment) {
      problems.push(`Deployment/${name}: missing`);
      continue;
    }
    for (const [where, labels] of [
      ['labels', deployment.metadata?.labels ?? {}],
      ['pod labels', podLabels(deployment)],
    ] as const) {
      if (labels['app.kubernetes.io/name'] !== name)
        problems.push(`${describe(deployment)}: ${where} lack app.kubernetes.io/name=${name}`);
      if (labels['app.kubernetes.io/part-of'] !== contract.partOf) {
        problems.push(`${describe(deployment)}: ${where} lack app.kubernetes.io/part-of=${contract.partOf}`);
      }
    }
    problems.push(...checkContainer(objects, contract, name, deployment));
    problems.push(...checkScraping(name, expected, deployment));
    problems.push(...checkService(objects, name, expected, deployment));
    if (!budgets.some((budget) => selectorMatches(budget.spec?.selector, podLabels(deployment)))) {
      problems.push(`${describe(deployment)}: no PodDisruptionBudget covers its pods`);
    }
  }
  const images = new Set(Object.values(contract.services).map((service) => service.image));
  for (const deployment of ofKind<IDeployment>(objects, 'Deployment')) {
    for (const container of podSpec(deployment).containers) {
      if (container.image?.startsWith('switchyard/') && !images.has(container.image)) {
        problems.push(
          `${describe(deployment)} container ${container.name}: image ${container.image} is not in services.json`,
        );
      }
    }
  }
  return problems;
}

/**
 * A service that declares a metrics port must turn the SDK's metrics endpoint on there (the
 * contract's metrics variable): declared but unset, the port is scraped and autoscaled on while
 * nothing listens. One that declares none must not set it. Shared by the Kubernetes and Compose checks.
 */
export function checkMetricsEnvironment(
  where: string,
  environment: ReadonlyMap<string, string | undefined>,
  contract: Contract,
  ports: Readonly<Record<string, number>>,
): string[] {
  const variable = contract.metricsEnv.variable;
  const actual = environment.get(variable);
  const expected = ports.metrics === undefined ? undefined : String(ports.metrics);
  if (actual === expected) return [];
  return [
    expected === undefined
      ? `${where}: sets ${variable} but declares no metrics port`
      : `${where}: ${variable} is ${actual ?? 'unset'}, expected ${expected} (its metrics port)`,
  ];
}
