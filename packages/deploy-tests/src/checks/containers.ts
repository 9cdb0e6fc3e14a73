/**
 * Every container in every workload: readiness and liveness probes, CPU and memory requests
 * and limits (limit ≥ request), and a locked-down security context (non-root, read-only root
 * filesystem, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp) —
 * the "restricted" Pod Security Standard plus what the SDK's images promise.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { KubeObject } from '../objects.js';
import { describe, effectiveSecurity, ofKind, podSpec } from '../objects.js';
import { parseQuantity } from '../quantity.js';

/** Kinds that run pods. Only Deployments are checked; any other must be added here first. */
const OTHER_WORKLOAD_KINDS = ['Pod', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

function checkResources(where: string, container: IContainer): string[] {
  const problems: string[] = [];
  for (const resource of ['cpu', 'memory']) {
    const request = parseQuantity(container.resources?.requests?.[resource]);
    const limit = parseQuantity(container.resources?.limits?.[resource]);
    if (request === undefined) problems.push(`${where}: no ${resource} request`);
    if (limit === undefined) problems.push(`${where}: no ${resource} limit`);
    if (request !== undefined && limit !== undefined && limit < request) {
      problems.push(`${where}: ${resource} limit is below its request`);
    }
  }
  return problems;
}

function checkSecurity(where: string, pod: IPodSpec, container: IContainer): string[] {
  const problems: string[] = [];
  const security = effectiveSecurity(pod, container);
  if (security.runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`);
  if (security.runAsUser === 0) problems.push(`${where}: runs as uid 0`);
  if (security.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`);
  if (security.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
  if (!security.capabilitiesDropped.includes('ALL')) problems.push(`${where}: capabilities do not drop ALL`);
  if (security.seccompProfile !== 'RuntimeDefault') problems.push(`${where}: seccompProfile is not RuntimeDefault`);
  return problems;
}

/** Problems with the containers of one build; none means every container is probed, sized and locked down. */
export function checkContainers(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    if (OTHER_WORKLOAD_KINDS.includes(object.kind)) {
      problems.push(`${describe(object)}: workload kind ${object.kind} is not covered by the container checks`);
    }
  }
  for (const deployment of ofKind<IDeployment>(objects, 'Deployment')) {
    const pod = podSpec(deployment);
    if (pod.containers.length === 0) problems.push(`${describe(deployment)}: has no containers`);
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC)
      problems.push(`${describe(deployment)}: shares a host namespace`);
    for (const container of pod.initContainers ?? []) {
      const where = `${describe(deployment)} init container ${container.name}`;
      problems.push(...checkResources(where, container), ...checkSecurity(where, pod, container));
    }
    for (const container of pod.containers) {
      const where = `${describe(deployment)} container ${container.name}`;
      if (!container.readinessProbe) problems.push(`${where}: no readinessProbe`);
      if (!container.livenessProbe) problems.push(`${where}: no livenessProbe`);
      problems.push(...checkResources(where, container), ...checkSecurity(where, pod, container));
    }
  }
  return problems;
}
