/**
 * Egress NetworkPolicies, evaluated offline, against what each workload really opens:
 * - an example service: the registry (SWITCHYARD_REGISTRY_URL as the container gets it), catalog's
 *   stock store (CATALOG_STOCK_URL, else the registry), the OTLP endpoint when the traces
 *   exporter is `otlp`, the gRPC port of every service in its `dependsOn` (Switchyard clients
 *   dial the pod addresses registered in Redis; checks/dependencies.ts ties `dependsOn` to the
 *   code), and the cluster DNS (53/UDP and 53/TCP to kube-dns in kube-system) when one of those
 *   hosts is a name;
 * - the OpenTelemetry collector: the endpoints of the exporters its pipelines use (none for
 *   `debug`);
 * - any other workload (Redis): nothing;
 * - a pod labelled `switchyard-registry-client=true` (the CLI): the registry and DNS.
 * A URL host without a dot is a Service of the build, reached at its pods' target port (most CNIs
 * judge egress after the Service address is translated). Every other host cannot be resolved
 * offline and is reported.
 *
 * Each source is then tried against every port of every pod of the build, kube-dns, a DNS
 * look-alike and an unrelated pod in other namespaces, an unrelated pod of the namespace, the
 * Internet and the cloud metadata endpoint: what it needs must be admitted by egress and by the
 * destination's ingress policies, and nothing else may be. The namespace must also have a
 * default-deny egress policy, so that a pod added later starts closed.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import { parse } from 'yaml';
import type { Contract } from '../contract.js';
import { CONFIG_MAP_NAME } from '../contract.js';
import type { KubeObject } from '../objects.js';
import {
  containerEnvironment,
  describe,
  findGenerated,
  findObject,
  ofKind,
  podLabels,
  podSpec,
  resolvePort,
  selectorIsEmpty,
  selectorMatches,
} from '../objects.js';
import { admits as ingressAdmits, REGISTRY_CLIENT_LABEL } from './network-policies.js';

type Protocol = 'TCP' | 'UDP' | 'SCTP';

interface PortOf {
  name?: string;
  port: number;
  protocol: Protocol;
}

/** Somewhere a pod may try to connect to. */
export interface Endpoint {
  name: string;
  /** A pod's labels and namespace labels; absent for an address outside the cluster. */
  pod?: { labels: Record<string, string>; namespace: string; deployment?: IDeployment };
  ip: string;
  ports: PortOf[];
}

/** A connection: an endpoint, one of its ports, and why it is needed (for messages). */
export interface Connection {
  endpoint: Endpoint;
  port: number;
  protocol: Protocol;
}

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function ipv4(address: string): number | undefined {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) return undefined;
  return parts.reduce((value, part) => value * 256 + part, 0);
}

function inCidr(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const ip = ipv4(address);
  const network = ipv4(base ?? '');
  if (ip === undefined || network === undefined) return false;
  const size = 2 ** (32 - Number(bits ?? 32));
  return Math.floor(ip / size) === Math.floor(network / size);
}

function peerAdmits(peer: INetworkPolicyPeer, policyNamespace: string, endpoint: Endpoint): boolean {
  if (peer.ipBlock) {
    return (
      inCidr(endpoint.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((cidr) => inCidr(endpoint.ip, cidr))
    );
  }
  if (!endpoint.pod) return false;
  if (peer.namespaceSelector) {
    if (!selectorMatches(peer.namespaceSelector, { [NAMESPACE_NAME_LABEL]: endpoint.pod.namespace })) return false;
    return peer.podSelector ? selectorMatches(peer.podSelector, endpoint.pod.labels) : true;
  }
  return endpoint.pod.namespace === policyNamespace && selectorMatches(peer.podSelector, endpoint.pod.labels);
}

function portAdmits(rulePort: INetworkPolicyPort, connection: Connection): boolean {
  if ((rulePort.protocol ?? 'TCP') !== connection.protocol) return false;
  if (rulePort.port === undefined) return true;
  if (typeof rulePort.port === 'number')
    return connection.port >= rulePort.port && connection.port <= (rulePort.endPort ?? rulePort.port);
  // A named port is looked up on the destination pod.
  return connection.endpoint.ports.some(
    (port) => port.name === rulePort.port && port.port === connection.port && port.protocol === connection.protocol,
  );
}

function hasEgress(policy: INetworkPolicy): boolean {
  const types = policy.spec?.policyTypes ?? (policy.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress']);
  return types.includes('Egress');
}

/** The egress policies that select pods with these labels. */
export function egressPoliciesSelecting(objects: KubeObject[], labels: Record<string, string>): INetworkPolicy[] {
  return ofKind<INetworkPolicy>(objects, 'NetworkPolicy').filter(
    (policy) => hasEgress(policy) && selectorMatches(policy.spec?.podSelector ?? {}, labels),
  );
}

/** Whether the egress policies of a build let a pod with `labels` open `connection`. */
export function egressAdmits(objects: KubeObject[], labels: Record<string, string>, connection: Connection): boolean {
  const selecting = egressPoliciesSelecting(objects, labels);
  if (selecting.length === 0) return true;
  return selecting.some((policy) =>
    (policy.spec?.egress ?? []).some(
      (rule) =>
        (rule.to === undefined ||
          rule.to.length === 0 ||
          rule.to.some((peer) => peerAdmits(peer, policy.metadata?.namespace ?? '', connection.endpoint))) &&
        (rule.ports === undefined ||
          rule.ports.length === 0 ||
          rule.ports.some((port) => portAdmits(port, connection))),
    ),
  );
}

/** The cluster DNS as kubeadm, kind, k3s, minikube, EKS, GKE and AKS run it (CoreDNS's ports). */
export const KUBE_DNS: Endpoint = {
  name: 'kube-dns in kube-system',
  pod: { labels: { 'k8s-app': 'kube-dns' }, namespace: 'kube-system' },
  ip: '10.244.0.2',
  ports: [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    { name: 'metrics', port: 9153, protocol: 'TCP' },
  ],
};

const ANY_PORTS: PortOf[] = [
  { port: 53, protocol: 'UDP' },
  { port: 53, protocol: 'TCP' },
  { port: 80, protocol: 'TCP' },
  { port: 443, protocol: 'TCP' },
  { port: 4318, protocol: 'TCP' },
  { port: 6379, protocol: 'TCP' },
  { port: 50051, protocol: 'TCP' },
];

/** Destinations nothing of the example needs. */
function outsiders(namespace: string): Endpoint[] {
  return [
    {
      name: 'a kube-dns look-alike in another namespace',
      pod: { labels: { 'k8s-app': 'kube-dns' }, namespace: 'tenant' },
      ip: '10.244.3.3',
      ports: KUBE_DNS.ports,
    },
    {
      name: 'a pod of another namespace',
      pod: { labels: { app: 'unrelated' }, namespace: 'tenant' },
      ip: '10.244.3.4',
      ports: ANY_PORTS,
    },
    {
      name: 'an unrelated pod of the namespace',
      pod: { labels: { app: 'unrelated' }, namespace },
      ip: '10.244.3.5',
      ports: ANY_PORTS,
    },
    { name: 'the Internet', ip: '203.0.113.10', ports: ANY_PORTS },
    { name: 'the cloud metadata endpoint', ip: '169.254.169.254', ports: [{ port: 80, protocol: 'TCP' }] },
  ];
}

function deploymentEndpoint(deployment: IDeployment, namespace: string, index: number): Endpoint {
  return {
    name: describe(deployment),
    pod: { labels: podLabels(deployment), namespace, deployment },
    ip: `10.244.1.${index + 10}`,
    ports: podSpec(deployment).containers.flatMap((container) =>
      (container.ports ?? []).map((port) => ({
        ...(port.name ? { name: port.name } : {}),
        port: port.containerPort,
        protocol: (port.protocol ?? 'TCP') as Protocol,
      })),
    ),
  };
}

/** What one source needs: connections (with the reason), and problems deriving them. */
interface Needs {
  connections: { connection: Connection; why: string }[];
  problems: string[];
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'redis:': 6379, 'rediss:': 6379 };

/**
 * The connections a URL (or `host:port`) of a build leads to: the pods behind the Service it
 * names, on the target port, plus DNS.
 */
function urlNeeds(objects: KubeObject[], endpoints: Endpoint[], value: string, why: string, needs: Needs): void {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `tcp://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    needs.problems.push(`${why} "${value}" cannot be parsed to derive its egress`);
    return;
  }
  const port = Number(url.port || DEFAULT_PORTS[url.protocol]);
  if (!url.hostname.includes('.')) {
    const service = findObject<IService>(objects, 'Service', url.hostname);
    const servicePort = service?.spec?.ports?.find((candidate) => candidate.port === port);
    const selected = endpoints.filter(
      (endpoint) =>
        endpoint.pod?.deployment &&
        service?.spec?.selector &&
        selectorMatches({ matchLabels: service.spec.selector }, endpoint.pod.labels),
    );
    if (!servicePort || selected.length === 0) {
      needs.problems.push(`${why} names ${url.hostname}:${port}, which no Service of the build serves`);
      return;
    }
    for (const endpoint of selected) {
      const target = servicePort.targetPort ?? servicePort.port;
      const containerPort = podSpec(endpoint.pod!.deployment!)
        .containers.map((container) => resolvePort(container, target))
        .find((resolved) => resolved !== undefined);
      if (containerPort === undefined) continue;
      needs.connections.push({
        connection: { endpoint, port: containerPort, protocol: (servicePort.protocol ?? 'TCP') as Protocol },
        why,
      });
    }
    dnsNeeds(needs, `${why} (resolving ${url.hostname})`);
    return;
  }
  needs.problems.push(
    `${why} names ${url.hostname}, outside the build: its egress cannot be derived offline (add a policy for it and extend this check)`,
  );
}

function dnsNeeds(needs: Needs, why: string): void {
  if (needs.connections.some(({ connection }) => connection.endpoint === KUBE_DNS)) return;
  for (const protocol of ['UDP', 'TCP'] as const)
    needs.connections.push({ connection: { endpoint: KUBE_DNS, port: 53, protocol }, why });
}

function serviceNeeds(
  objects: KubeObject[],
  endpoints: Endpoint[],
  contract: Contract,
  name: string,
  deployment: IDeployment,
): Needs {
  const needs: Needs = { connections: [], problems: [] };
  const container = podSpec(deployment).containers.find((candidate) => candidate.name === name);
  if (!container) return needs;
  const environment = containerEnvironment(objects, container);
  const registry = environment.get('SWITCHYARD_REGISTRY_URL');
  if (registry) urlNeeds(objects, endpoints, registry, 'SWITCHYARD_REGISTRY_URL', needs);
  const stock = environment.get('CATALOG_STOCK_URL');
  if (name === 'catalog' && stock && !stock.startsWith('memory://'))
    urlNeeds(objects, endpoints, stock, 'CATALOG_STOCK_URL', needs);
  const exporters = (environment.get('OTEL_TRACES_EXPORTER') ?? 'otlp').split(',').map((value) => value.trim());
  if (exporters.includes('otlp')) {
    const endpoint =
      environment.get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? environment.get('OTEL_EXPORTER_OTLP_ENDPOINT');
    if (endpoint) urlNeeds(objects, endpoints, endpoint, 'OTEL_EXPORTER_OTLP_ENDPOINT', needs);
    else needs.problems.push('OTEL_TRACES_EXPORTER is otlp, but no OTLP endpoint is set');
  }
  for (const dependency of contract.services[name]?.dependsOn ?? []) {
    const grpcPort = contract.services[dependency]?.ports.grpc;
    const target = endpoints.find((endpoint) => endpoint.pod?.deployment?.metadata?.name === dependency);
    if (grpcPort === undefined || !target) {
      needs.problems.push(`calls ${dependency}, which has no gRPC port or Deployment in the build`);
      continue;
    }
    needs.connections.push({
      connection: { endpoint: target, port: grpcPort, protocol: 'TCP' },
      why: `calls ${dependency}`,
    });
  }
  return needs;
}

/** The exporters an OpenTelemetry collector's pipelines use, from the otelcol.yaml of its ConfigMap volume. */
function collectorNeeds(objects: KubeObject[], endpoints: Endpoint[], deployment: IDeployment): Needs | undefined {
  const volumeConfigMaps = (podSpec(deployment).volumes ?? []).flatMap((volume) =>
    volume.configMap?.name ? [volume.configMap.name] : [],
  );
  const text = volumeConfigMaps
    .map((name) => findObject<IConfigMap>(objects, 'ConfigMap', name)?.data?.['otelcol.yaml'])
    .find((value) => value !== undefined);
  if (text === undefined) return undefined;
  const needs: Needs = { connections: [], problems: [] };
  const config = parse(text) as {
    exporters?: Record<string, { endpoint?: string } | null>;
    service?: { pipelines?: Record<string, { exporters?: string[] }> };
  };
  const used = new Set(Object.values(config.service?.pipelines ?? {}).flatMap((pipeline) => pipeline.exporters ?? []));
  for (const exporter of used) {
    const type = exporter.split('/')[0]!;
    if (['debug', 'logging', 'nop', 'file'].includes(type)) continue;
    const endpoint = config.exporters?.[exporter]?.endpoint;
    if (!endpoint) needs.problems.push(`exporter ${exporter} sends somewhere this check cannot read`);
    else urlNeeds(objects, endpoints, endpoint, `exporter ${exporter}`, needs);
  }
  return needs;
}

const same = (left: Connection, right: Connection) =>
  left.endpoint === right.endpoint && left.port === right.port && left.protocol === right.protocol;

/** Problems with the egress of one build: what is needed and blocked, what is open and not needed. */
export function checkEgress(objects: KubeObject[], contract: Contract): string[] {
  const problems: string[] = [];
  const deployments = ofKind<IDeployment>(objects, 'Deployment');
  const namespace = deployments[0]?.metadata?.namespace ?? '';
  const policies = ofKind<INetworkPolicy>(objects, 'NetworkPolicy');
  if (
    !policies.some(
      (policy) => hasEgress(policy) && selectorIsEmpty(policy.spec?.podSelector) && !policy.spec?.egress?.length,
    )
  ) {
    problems.push('no default-deny egress NetworkPolicy (podSelector {}, policyTypes [Egress], no rules)');
  }
  const podEndpoints = deployments.map((deployment, index) => deploymentEndpoint(deployment, namespace, index));
  const universe = [...podEndpoints, KUBE_DNS, ...outsiders(namespace)];

  const sources: { name: string; labels: Record<string, string>; needs: Needs }[] = [];
  for (const deployment of deployments) {
    const name = deployment.metadata?.name ?? '';
    const needs = contract.services[name]
      ? serviceNeeds(objects, podEndpoints, contract, name, deployment)
      : (collectorNeeds(objects, podEndpoints, deployment) ?? { connections: [], problems: [] });
    sources.push({ name: describe(deployment), labels: podLabels(deployment), needs });
  }
  // The switchyard CLI, run in the namespace with the label the Redis policy admits.
  const cliNeeds: Needs = { connections: [], problems: [] };
  const registry = findGenerated<IConfigMap>(objects, 'ConfigMap', CONFIG_MAP_NAME)?.data?.SWITCHYARD_REGISTRY_URL;
  if (registry) urlNeeds(objects, podEndpoints, registry, 'SWITCHYARD_REGISTRY_URL', cliNeeds);
  sources.push({
    name: `a pod labelled ${REGISTRY_CLIENT_LABEL}=true`,
    labels: { [REGISTRY_CLIENT_LABEL]: 'true' },
    needs: cliNeeds,
  });

  for (const source of sources) {
    for (const problem of source.needs.problems) problems.push(`${source.name}: ${problem}`);
    for (const { connection, why } of source.needs.connections) {
      const what = `${connection.endpoint.name} port ${connection.port}/${connection.protocol} (${why})`;
      if (!egressAdmits(objects, source.labels, connection)) {
        problems.push(`${source.name}: egress to ${what} is blocked`);
        continue;
      }
      const target = connection.endpoint.pod?.deployment;
      const sourcePod = { kind: 'pod' as const, labels: source.labels, sameNamespace: true, name: source.name };
      if (target && !ingressAdmits(objects, sourcePod, { deployment: target, port: connection.port }))
        problems.push(`${source.name}: ${what} is allowed out but refused by ${describe(target)}'s ingress policies`);
    }
    for (const endpoint of universe) {
      for (const port of endpoint.ports) {
        const connection: Connection = { endpoint, port: port.port, protocol: port.protocol };
        if (source.needs.connections.some((needed) => same(needed.connection, connection))) continue;
        if (egressAdmits(objects, source.labels, connection))
          problems.push(
            `${source.name}: may open ${endpoint.name} port ${port.port}/${port.protocol}, which it does not need`,
          );
      }
    }
  }
  return problems;
}
