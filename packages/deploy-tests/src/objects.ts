/**
 * Typed access to parsed Kubernetes objects, using the interfaces that `kubernetes-models`
 * ships, and the few Kubernetes semantics the checks need (label selectors, named ports,
 * effective security context and environment).
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';

/** Any object from a kustomize build. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** A label selector as Deployments and PodDisruptionBudgets carry it. */
export type LabelSelector = NonNullable<IDeployment['spec']>['selector'];

/** `Kind/name`, the prefix of every problem a check reports. */
export function describe(object: { kind?: string; metadata?: { name?: string } }): string {
  return `${object.kind}/${object.metadata?.name}`;
}

/** The objects of one kind, typed as the matching kubernetes-models interface. */
export function ofKind<T>(objects: KubeObject[], kind: string): T[] {
  return objects.filter((object) => object.kind === kind) as unknown as T[];
}

/** The object of a kind and name, if the build has it. */
export function findObject<T>(objects: KubeObject[], kind: string, name: string): T | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name) as T | undefined;
}

/**
 * Whether `name` is `base`, or `base` with the content hash kustomize appends to a generated
 * ConfigMap or Secret (`switchyard-config-5h8k2mfh7c`).
 */
export function isGeneratedName(name: string | undefined, base: string): boolean {
  return name === base || (name !== undefined && new RegExp(`^${base}-[a-z0-9]{10}$`).test(name));
}

/** The object of a kind generated as `base` (see {@link isGeneratedName}), if the build has it. */
export function findGenerated<T>(objects: KubeObject[], kind: string, base: string): T | undefined {
  return objects.find((object) => object.kind === kind && isGeneratedName(object.metadata.name, base)) as T | undefined;
}

/** Whether `labels` satisfy a label selector (matchLabels and matchExpressions). An empty selector matches everything. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    if (operator === 'In' && !(has && values.includes(value!))) return false;
    if (operator === 'NotIn' && has && values.includes(value!)) return false;
    if (operator === 'Exists' && !has) return false;
    if (operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Whether a selector has no terms at all (and so selects every pod in the namespace). */
export function selectorIsEmpty(selector: LabelSelector | undefined): boolean {
  return Object.keys(selector?.matchLabels ?? {}).length === 0 && (selector?.matchExpressions ?? []).length === 0;
}

/** The pod spec of a Deployment (empty when the template is missing, which the schema rejects). */
export function podSpec(deployment: IDeployment): IPodSpec {
  return deployment.spec?.template.spec ?? { containers: [] };
}

/** The pod template labels of a Deployment. */
export function podLabels(deployment: IDeployment): Record<string, string> {
  return deployment.spec?.template.metadata?.labels ?? {};
}

/** Resolves a port given as a number or as a container port name, within one container. */
export function resolvePort(container: IContainer, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((candidate) => candidate.name === port)?.containerPort;
}

/** A security setting as the container runs with it: the container's value, else the pod's. */
export function effectiveSecurity(pod: IPodSpec, container: IContainer) {
  const podContext = pod.securityContext ?? {};
  const containerContext = container.securityContext ?? {};
  return {
    runAsNonRoot: containerContext.runAsNonRoot ?? podContext.runAsNonRoot,
    runAsUser: containerContext.runAsUser ?? podContext.runAsUser,
    seccompProfile: containerContext.seccompProfile?.type ?? podContext.seccompProfile?.type,
    readOnlyRootFilesystem: containerContext.readOnlyRootFilesystem,
    allowPrivilegeEscalation: containerContext.allowPrivilegeEscalation,
    capabilitiesDropped: containerContext.capabilities?.drop ?? [],
  };
}

/**
 * The literal environment a container starts with: ConfigMap `envFrom` first, then `env`
 * (which wins, as in Kubernetes). Values from fieldRef/secrets are `undefined`.
 */
export function containerEnvironment(objects: KubeObject[], container: IContainer): Map<string, string | undefined> {
  const environment = new Map<string, string | undefined>();
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    const configMap = name ? findObject<{ data?: Record<string, string> }>(objects, 'ConfigMap', name) : undefined;
    for (const [key, value] of Object.entries(configMap?.data ?? {}))
      environment.set(`${source.prefix ?? ''}${key}`, value);
  }
  for (const variable of container.env ?? []) environment.set(variable.name, variable.value);
  return environment;
}
