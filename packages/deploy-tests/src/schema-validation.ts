/**
 * Offline validation against the Kubernetes OpenAPI schemas compiled into `kubernetes-models`
 * 4.x (Kubernetes 1.32 API; 4.x is the last major that runs on Node 20). Each object is
 * constructed as its model class and `.validate()`d. An apiVersion/kind without a model
 * (a typo, a removed API version, a CRD) is a problem, not a pass.
 *
 * The compiled schemas accept unknown fields, so a misspelt key is not caught here; the
 * project checks require every field that matters by name, so it shows up as missing there.
 */
import type { KubeObject } from './objects.js';
import { describe } from './objects.js';

interface ModelClass {
  apiVersion: string;
  kind: string;
  new (data: unknown): { validate(): void };
}

/** `apps/v1` → `kubernetes-models/apps/v1/Deployment`; core `v1` → `kubernetes-models/v1/Service`. */
function modelSpecifier(apiVersion: string, kind: string): string | undefined {
  const identifier = /^[A-Za-z0-9.-]+$/;
  const parts = apiVersion.split('/');
  if (parts.length > 2 || !parts.every((part) => identifier.test(part)) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    return undefined;
  }
  return `kubernetes-models/${parts.join('/')}/${kind}`;
}

async function loadModel(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const specifier = modelSpecifier(apiVersion, kind);
  if (!specifier) return undefined;
  let module: Record<string, unknown>;
  try {
    module = (await import(specifier)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const candidate = module[kind];
  if (typeof candidate !== 'function') return undefined;
  const model = candidate as ModelClass;
  // Sub-structures (e.g. DeploymentSpec) are models too, but carry no apiVersion/kind.
  return model.apiVersion === apiVersion && model.kind === kind ? model : undefined;
}

/** The schema problems of one object: none when it validates. */
export async function validateAgainstSchema(object: KubeObject): Promise<string[]> {
  const Model = await loadModel(object.apiVersion, object.kind);
  if (!Model) {
    return [`${describe(object)}: no Kubernetes schema for apiVersion "${object.apiVersion}" kind "${object.kind}"`];
  }
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [`${describe(object)}: ${error instanceof Error ? error.message : String(error)}`];
  }
}

/** The schema problems of every object of a build. */
export async function validateAllAgainstSchema(objects: KubeObject[]): Promise<string[]> {
  const problems = await Promise.all(objects.map(validateAgainstSchema));
  return problems.flat();
}
