/**
 * Builds a kustomization with `kubectl kustomize` (offline: no cluster is contacted) and
 * parses the multi-document YAML it prints.
 */
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './objects.js';

const KUBECTL_MISSING =
  'kubectl was not found on PATH. The deploy tests build deploy/k8s overlays with `kubectl kustomize` ' +
  '(kubectl ≥ 1.27 bundles kustomize v5); install kubectl to run them. They do not skip without it.';

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function errorOutput(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'stderr' in error && error.stderr) return String(error.stderr);
  return error instanceof Error ? error.message : String(error);
}

/** Options of {@link kustomizeBuild}. */
export interface KustomizeBuildOptions {
  /** The kubectl binary. @default 'kubectl' (from PATH) */
  kubectl?: string;
}

/** Runs `kubectl kustomize <directory>` and returns its objects; throws with kubectl's stderr on failure. */
export function kustomizeBuild(directory: string, options: KustomizeBuildOptions = {}): KubeObject[] {
  let output: string;
  try {
    output = execFileSync(options.kubectl ?? 'kubectl', ['kustomize', directory], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw new Error(KUBECTL_MISSING);
    throw new Error(`kubectl kustomize ${directory} failed: ${errorOutput(error).trim()}`);
  }
  return parseManifests(output);
}

/** Parses multi-document Kubernetes YAML; every document must be an object with apiVersion, kind and metadata.name. */
export function parseManifests(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const [index, document] of parseAllDocuments(text).entries()) {
    if (document.errors.length > 0) throw new Error(`document ${index}: ${document.errors[0]!.message}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    const object = value as Partial<KubeObject>;
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || !object.metadata?.name) {
      throw new Error(`document ${index} is not a Kubernetes object (apiVersion, kind and metadata.name are required)`);
    }
    objects.push(object as KubeObject);
  }
  return objects;
}
