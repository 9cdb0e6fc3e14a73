/**
 * HorizontalPodAutoscalers: each targets a Deployment of the build (a typo leaves a
 * Deployment unscaled and the HPA failing quietly) that sets no replicas of its own, scales on
 * CPU relative to requests that exist, and no Deployment has two. With `requireEveryService`, every service of the
 * contract has one, including its custom per-pod metrics (services.json `autoscaling`).
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { Contract } from '../contract.js';
import type { KubeObject } from '../objects.js';
import { describe, findObject, ofKind, podSpec } from '../objects.js';

/** Options of {@link checkAutoscaling}. */
export interface AutoscalingCheckOptions {
  /** Every service in the contract must have an HPA (production). @default false */
  requireEveryService?: boolean;
}

function checkAutoscaler(objects: KubeObject[], autoscaler: IHorizontalPodAutoscaler): string[] {
  const where = describe(autoscaler);
  const target = autoscaler.spec?.scaleTargetRef;
  if (target?.kind !== 'Deployment' || target.apiVersion !== 'apps/v1') {
    return [`${where}: scaleTargetRef is ${target?.apiVersion} ${target?.kind}, expected apps/v1 Deployment`];
  }
  const deployment = findObject<IDeployment>(objects, 'Deployment', target.name);
  if (!deployment) return [`${where}: targets Deployment/${target.name}, which the build does not have`];
  const problems: string[] = [];
  // The HPA owns the size: a count in the manifest is put back by every apply (a GitOps sync, an
  // image bump), dropping a scaled-up Deployment to it at once, under the load that scaled it.
  if (deployment.spec?.replicas !== undefined) {
    problems.push(`${describe(deployment)}: sets replicas (${deployment.spec.replicas}) though ${where} scales it`);
  }
  const { minReplicas = 1, maxReplicas } = autoscaler.spec!;
  if (minReplicas < 1 || minReplicas > maxReplicas)
    problems.push(`${where}: minReplicas ${minReplicas}, maxReplicas ${maxReplicas}`);
  const metrics = autoscaler.spec?.metrics ?? [];
  if (!metrics.some((metric) => metric.type === 'Resource' && metric.resource?.name === 'cpu')) {
    problems.push(`${where}: does not scale on CPU`);
  }
  for (const metric of metrics) {
    if (metric.type !== 'Resource' || metric.resource?.target.type !== 'Utilization') continue;
    const resource = metric.resource.name;
    const missing = podSpec(deployment).containers.filter((container) => !container.resources?.requests?.[resource]);
    for (const container of missing) {
      problems.push(
        `${where}: scales on ${resource} utilization but container ${container.name} has no ${resource} request`,
      );
    }
  }
  return problems;
}

/** Problems with the autoscalers of one build. */
export function checkAutoscaling(
  objects: KubeObject[],
  contract: Contract,
  options: AutoscalingCheckOptions = {},
): string[] {
  const autoscalers = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler');
  const problems = autoscalers.flatMap((autoscaler) => checkAutoscaler(objects, autoscaler));
  const byTarget = new Map<string, IHorizontalPodAutoscaler[]>();
  for (const autoscaler of autoscalers) {
    const name = autoscaler.spec?.scaleTargetRef.name ?? '';
    byTarget.set(name, [...(byTarget.get(name) ?? []), autoscaler]);
  }
  for (const [name, list] of byTarget) {
    if (list.length > 1)
      problems.push(`Deployment/${name}: targeted by several HPAs (${list.map(describe).join(', ')})`);
  }
  if (!options.requireEveryService) return problems;
  for (const [name, service] of Object.entries(contract.services)) {
    const autoscaler = byTarget.get(name)?.[0];
    if (!autoscaler) {
      problems.push(`Deployment/${name}: no HorizontalPodAutoscaler`);
      continue;
    }
    for (const metricName of service.autoscaling?.podsMetrics ?? []) {
      const metric = autoscaler.spec?.metrics?.find((candidate) => candidate.pods?.metric.name === metricName);
      if (metric?.type !== 'Pods' || metric.pods?.target.type !== 'AverageValue') {
        problems.push(`${describe(autoscaler)}: no Pods metric ${metricName} with an AverageValue target`);
      }
    }
  }
  return problems;
}
