/**
 * Configuration and the names it refers to: ConfigMap switchyard-config carries the
 * contract's values; every ConfigMap a pod loads exists (a missing one leaves the pod in
 * CreateContainerConfigError); the registry URL and, when tracing is on, the OTLP endpoint
 * name a Service and port of the same build (hosts with dots are external and not checked).
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import type { Contract } from '../contract.js';
import { CONFIG_MAP_NAME } from '../contract.js';
import type { KubeObject } from '../objects.js';
import { describe, findGenerated, findObject, ofKind, podSpec } from '../objects.js';

/** Values the overlays may change; every other contract value must be identical. */
const OVERLAY_SETTINGS: Record<string, string[]> = { OTEL_TRACES_EXPORTER: ['none', 'otlp', 'console'] };

function checkUrl(objects: KubeObject[], variable: string, value: string): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [`ConfigMap/${CONFIG_MAP_NAME}: ${variable} "${value}" is not a URL`];
  }
  if (url.hostname.includes('.')) return [];
  const defaultPorts: Record<string, string> = { 'http:': '80', 'https:': '443', 'redis:': '6379' };
  const port = Number(url.port || defaultPorts[url.protocol]);
  const service = findObject<IService>(objects, 'Service', url.hostname);
  if (!service)
    return [`ConfigMap/${CONFIG_MAP_NAME}: ${variable} names host ${url.hostname}, but there is no such Service`];
  if (!service.spec?.ports?.some((candidate) => candidate.port === port)) {
    return [`ConfigMap/${CONFIG_MAP_NAME}: ${variable} uses port ${port}, which ${describe(service)} does not expose`];
  }
  return [];
}

/** Problems with configuration and the references it makes in one build. */
export function checkConfiguration(objects: KubeObject[], contract: Contract): string[] {
  const problems: string[] = [];
  const configMapNames = new Set(ofKind<IConfigMap>(objects, 'ConfigMap').map((configMap) => configMap.metadata?.name));
  for (const deployment of ofKind<IDeployment>(objects, 'Deployment')) {
    const pod = podSpec(deployment);
    const referenced = [
      ...pod.containers.flatMap((container) => (container.envFrom ?? []).map((source) => source.configMapRef?.name)),
      ...(pod.volumes ?? []).map((volume) => volume.configMap?.name),
    ];
    for (const name of referenced) {
      if (name && !configMapNames.has(name))
        problems.push(`${describe(deployment)}: loads ConfigMap/${name}, which the build does not have`);
    }
  }

  const data = findGenerated<IConfigMap>(objects, 'ConfigMap', CONFIG_MAP_NAME)?.data;
  if (!data) return [...problems, `ConfigMap/${CONFIG_MAP_NAME}: missing`];
  for (const [key, expected] of Object.entries(contract.config)) {
    const allowed = OVERLAY_SETTINGS[key] ?? [expected];
    if (!allowed.includes(data[key] ?? '')) {
      problems.push(
        `ConfigMap/${CONFIG_MAP_NAME}: ${key} is ${JSON.stringify(data[key])}, expected ${allowed.join(' or ')}`,
      );
    }
  }
  if (data.SWITCHYARD_REGISTRY_URL)
    problems.push(...checkUrl(objects, 'SWITCHYARD_REGISTRY_URL', data.SWITCHYARD_REGISTRY_URL));
  if (data.OTEL_TRACES_EXPORTER === 'otlp') {
    problems.push(...checkUrl(objects, 'OTEL_EXPORTER_OTLP_ENDPOINT', data.OTEL_EXPORTER_OTLP_ENDPOINT ?? ''));
  }
  return problems;
}
