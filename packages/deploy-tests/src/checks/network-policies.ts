/**
 * NetworkPolicies, evaluated offline: whether a connection from a given source to a pod's port
 * is admitted, following the Kubernetes semantics for ingress (a pod no policy selects admits
 * everything; a selected pod admits what any selecting policy's rule admits). Then the checks
 * the example needs: every pod is covered by a policy; each service is reachable by its callers
 * (the gateway by everyone, a backend by the services that depend on it, Redis by every example
 * service, metrics by Prometheus in another namespace), and the backends and Redis are not
 * reachable by an unrelated pod or from another namespace.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import type { Contract } from '../contract.js';
import type { KubeObject } from '../objects.js';
import { describe, findObject, ofKind, podLabels, podSpec, selectorMatches } from '../objects.js';

/**
 * Where a connection comes from: a pod (by its labels) in this namespace or another, or outside
 * the cluster. A pod of another namespace is in `namespace` ({@link OTHER_NAMESPACE} when not given).
 */
export type Source =
  | { kind: 'pod'; labels: Record<string, string>; sameNamespace: boolean; name: string; namespace?: string }
  | { kind: 'external'; name: string };

/** The label every namespace carries with its own name: the one namespace label known offline. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** The namespace of a pod source in another namespace that does not name its own. */
const OTHER_NAMESPACE = 'tenant';

/** A pod of this namespace and one of its container ports. */
export interface Destination {
  deployment: IDeployment;
  port: number;
}

function peerAdmits(peer: INetworkPolicyPeer, source: Source, policyNamespace: string): boolean {
  if (peer.ipBlock) return source.kind === 'external';
  if (source.kind !== 'pod') return false;
  if (peer.namespaceSelector) {
    // Judged on the namespace's name label, as the egress check does (other namespace labels are
    // not known offline). Only the empty selector used to be judged, as every namespace; any
    // other admitted nothing, so `kubernetes.io/metadata.name: <this namespace>` with no
    // podSelector (every pod of the namespace, the unrelated one too) passed as closed to all.
    const namespace = source.sameNamespace ? policyNamespace : (source.namespace ?? OTHER_NAMESPACE);
    if (!selectorMatches(peer.namespaceSelector, { [NAMESPACE_NAME_LABEL]: namespace })) return false;
    return peer.podSelector ? selectorMatches(peer.podSelector, source.labels) : true;
  }
  // A podSelector alone means pods of the policy's own namespace.
  return source.sameNamespace && selectorMatches(peer.podSelector, source.labels);
}

function portAdmits(rulePort: INetworkPolicyPort, destination: Destination): boolean {
  if ((rulePort.protocol ?? 'TCP') !== 'TCP') return false;
  if (rulePort.port === undefined) return true;
  if (typeof rulePort.port === 'number') {
    return destination.port >= rulePort.port && destination.port <= (rulePort.endPort ?? rulePort.port);
  }
  // A named port resolves against the destination pod's own containers.
  return podSpec(destination.deployment).containers.some((container) =>
    container.ports?.some((port) => port.name === rulePort.port && port.containerPort === destination.port),
  );
}

/** The ingress policies that select a Deployment's pods. */
export function policiesSelecting(objects: KubeObject[], deployment: IDeployment): INetworkPolicy[] {
  return ofKind<INetworkPolicy>(objects, 'NetworkPolicy').filter(
    (policy) =>
      (policy.spec?.policyTypes ?? ['Ingress']).includes('Ingress') &&
      selectorMatches(policy.spec?.podSelector ?? {}, podLabels(deployment)),
  );
}

/** Whether the policies of a build admit a connection from `source` to `destination`. */
export function admits(objects: KubeObject[], source: Source, destination: Destination): boolean {
  const selecting = policiesSelecting(objects, destination.deployment);
  if (selecting.length === 0) return true;
  return selecting.some((policy) =>
    (policy.spec?.ingress ?? []).some(
      (rule) =>
        (rule.from === undefined ||
          rule.from.length === 0 ||
          rule.from.some((peer) => peerAdmits(peer, source, policy.metadata?.namespace ?? ''))) &&
        (rule.ports === undefined ||
          rule.ports.length === 0 ||
          rule.ports.some((port) => portAdmits(port, destination))),
    ),
  );
}

function podSource(deployment: IDeployment): Source {
  return { kind: 'pod', labels: podLabels(deployment), sameNamespace: true, name: describe(deployment) };
}

/** Sources the example must keep out of its backends and Redis. */
const INTRUDERS: Source[] = [
  { kind: 'pod', labels: { app: 'unrelated' }, sameNamespace: true, name: 'an unrelated pod of the namespace' },
  { kind: 'pod', labels: { app: 'unrelated' }, sameNamespace: false, name: 'a pod of another namespace' },
  { kind: 'external', name: 'outside the cluster' },
];

/** Prometheus, scraping the metrics ports from its own namespace (`monitoring`, as kube-prometheus has it). */
const PROMETHEUS: Source = {
  kind: 'pod',
  labels: { 'app.kubernetes.io/name': 'prometheus' },
  sameNamespace: false,
  namespace: 'monitoring',
  name: 'Prometheus in another namespace',
};

/** Pods labelled this way may reach Redis (the switchyard CLI run in the namespace). */
export const REGISTRY_CLIENT_LABEL = 'switchyard-registry-client';

/** Problems with the NetworkPolicies of one build. */
export function checkNetworkPolicies(objects: KubeObject[], contract: Contract): string[] {
  const problems: string[] = [];
  const deployments = ofKind<IDeployment>(objects, 'Deployment');
  const byName = (name: string) => findObject<IDeployment>(objects, 'Deployment', name);
  for (const deployment of deployments) {
    if (policiesSelecting(objects, deployment).length === 0)
      problems.push(`${describe(deployment)}: no ingress NetworkPolicy selects its pods (everything may reach them)`);
  }
  const expectAdmitted = (source: Source, target: IDeployment, port: number, what: string) => {
    if (!admits(objects, source, { deployment: target, port }))
      problems.push(`${describe(target)}: ${what} port ${port} is closed to ${source.name}`);
  };
  const expectRefused = (source: Source, target: IDeployment, port: number, what: string) => {
    if (admits(objects, source, { deployment: target, port }))
      problems.push(`${describe(target)}: ${what} port ${port} is open to ${source.name}`);
  };

  for (const [name, service] of Object.entries(contract.services)) {
    const target = byName(name);
    if (!target) continue;
    const callers = Object.entries(contract.services)
      .filter(([, other]) => other.dependsOn.includes(name))
      .map(([caller]) => byName(caller))
      .filter((caller): caller is IDeployment => caller !== undefined);
    for (const [portName, port] of Object.entries(service.ports)) {
      if (portName === 'metrics') {
        expectAdmitted(PROMETHEUS, target, port, 'metrics');
        continue;
      }
      if (callers.length === 0) {
        // Nobody in the example calls it: the public entry point, open to everyone.
        for (const source of INTRUDERS) expectAdmitted(source, target, port, portName);
        continue;
      }
      for (const caller of callers) expectAdmitted(podSource(caller), target, port, portName);
      for (const source of INTRUDERS) expectRefused(source, target, port, portName);
    }
  }

  const redis = byName('redis');
  const redisPort = redis && podSpec(redis).containers[0]?.ports?.find((port) => port.name === 'redis')?.containerPort;
  if (redis && redisPort) {
    for (const name of Object.keys(contract.services)) {
      const client = byName(name);
      if (client) expectAdmitted(podSource(client), redis, redisPort, 'redis');
    }
    const cli: Source = {
      kind: 'pod',
      labels: { [REGISTRY_CLIENT_LABEL]: 'true' },
      sameNamespace: true,
      name: `a pod labelled ${REGISTRY_CLIENT_LABEL}=true`,
    };
    expectAdmitted(cli, redis, redisPort, 'redis');
    for (const source of INTRUDERS) expectRefused(source, redis, redisPort, 'redis');
  }
  return problems;
}
