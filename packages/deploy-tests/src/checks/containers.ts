/**
 * Every container in every workload: readiness and liveness probes, CPU and memory requests
 * and limits (limit ≥ request), and a locked-down security context (non-root, read-only root
 * filesystem, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp) —
 * the "restricted" Pod Security Standard plus what the SDK's images promise. Images carry a
 * full version (x.y.z) or a digest: `latest` or `7.4` move under the same manifest, so nodes
 * that pulled at different times run different builds and a rollback does not restore the old
 * one. No pod mounts a service account token: nothing in the example calls the Kubernetes API.
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

/** A full version (1.2.3, v1.2.3, 1.2.3-alpine) or a digest. */
const PINNED_TAG = /^v?\d+\.\d+\.\d+([-+.][\w.-]+)?$/;

function checkImage(where: string, image: string | undefined): string[] {
  if (!image) return [`${where}: no image`];
  const [reference, digest] = image.split('@');
  if (digest) return /^sha256:[0-9a-f]{64}$/.test(digest) ? [] : [`${where}: image digest ${digest} is not sha256`];
  const lastSegment = reference!.slice(reference!.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : undefined;
  if (!tag || tag === 'latest') return [`${where}: image ${image} runs whatever \`latest\` is when a node pulls it`];
  if (!PINNED_TAG.test(tag)) return [`${where}: image tag ${tag} moves; pin a full version (x.y.z) or a digest`];
  return [];
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
    if (pod.automountServiceAccountToken !== false)
      problems.push(
        `${describe(deployment)}: mounts a service account token (automountServiceAccountToken is not false)`,
      );
    for (const container of pod.initContainers ?? []) {
      const where = `${describe(deployment)} init container ${container.name}`;
      problems.push(
        ...checkImage(where, container.image),
        ...checkResources(where, container),
        ...checkSecurity(where, pod, container),
      );
    }
    for (const container of pod.containers) {
      const where = `${describe(deployment)} container ${container.name}`;
      if (!container.readinessProbe) problems.push(`${where}: no readinessProbe`);
      if (!container.livenessProbe) problems.push(`${where}: no livenessProbe`);
      problems.push(
        ...checkImage(where, container.image),
        ...checkResources(where, container),
        ...checkSecurity(where, pod, container),
      );
    }
  }
  return problems;
}
