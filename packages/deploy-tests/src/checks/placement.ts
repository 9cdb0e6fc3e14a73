/**
 * Replica counts and zone spreading of the example services, which differ per overlay:
 * local runs one of each; production runs several, spread across zones so that losing a
 * zone leaves every service running.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { Contract } from '../contract.js';
import type { KubeObject } from '../objects.js';
import { describe, findObject, ofKind, podLabels, podSpec, selectorMatches } from '../objects.js';

/** Expected replicas per service: an exact count (`1`) or a minimum (`{ atLeast: 2 }`). */
export type ReplicaExpectation = number | { atLeast: number };

/** Options of {@link checkPlacement}. */
export interface PlacementCheckOptions {
  /** Per service; `default` applies to the others. */
  replicas: Record<string, ReplicaExpectation> & { default: ReplicaExpectation };
  /** Require a topologySpreadConstraint on topology.kubernetes.io/zone selecting the service's own pods. */
  spreadAcrossZones: boolean;
}

/** Problems with the replicas and spreading of the contract's services in one build. */
export function checkPlacement(objects: KubeObject[], contract: Contract, options: PlacementCheckOptions): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(contract.services)) {
    const deployment = findObject<IDeployment>(objects, 'Deployment', name);
    if (!deployment) {
      problems.push(`Deployment/${name}: missing`);
      continue;
    }
    // A Deployment an HPA scales has no count of its own: it runs at least the HPA's minReplicas.
    const autoscaler = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').find(
      (candidate) => candidate.spec?.scaleTargetRef.name === name,
    );
    const replicas = deployment.spec?.replicas ?? autoscaler?.spec?.minReplicas ?? 1;
    const expected = options.replicas[name] ?? options.replicas.default;
    if (typeof expected === 'number' ? replicas !== expected : replicas < expected.atLeast) {
      problems.push(`${describe(deployment)}: ${replicas} replicas, expected ${JSON.stringify(expected)}`);
    }
    if (!options.spreadAcrossZones) continue;
    const spread = podSpec(deployment).topologySpreadConstraints ?? [];
    const byZone = spread.find(
      (constraint) =>
        constraint.topologyKey === 'topology.kubernetes.io/zone' &&
        selectorMatches(constraint.labelSelector, podLabels(deployment)),
    );
    if (!byZone)
      problems.push(`${describe(deployment)}: no topologySpreadConstraint across zones that selects its pods`);
  }
  return problems;
}
