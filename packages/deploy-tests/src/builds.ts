/**
 * The two overlays, each built once per test file and handed out as a fresh copy, so a test
 * can mutate what it gets to show that a check catches the mistake.
 */
import { join } from 'node:path';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { CONFIG_MAP_NAME, type Contract, deployDir, loadContract } from './contract.js';
import { kustomizeBuild } from './kustomize.js';
import { findGenerated, type KubeObject } from './objects.js';

/** The overlays under deploy/k8s/overlays. */
export const OVERLAYS = ['local', 'production'] as const;

/** One overlay's name. */
export type Overlay = (typeof OVERLAYS)[number];

/**
 * The kustomizations an overlay is applied as, in order, relative to its folder. Production's
 * data/ (the namespace and Redis's volume claim) is applied first and apart, so deleting the
 * workloads (`kubectl delete -k overlays/production`) keeps the data.
 */
export const OVERLAY_PARTS: Readonly<Record<Overlay, readonly string[]>> = {
  local: ['.'],
  production: ['data', '.'],
};

const builds = new Map<string, KubeObject[]>();

/** A fresh copy of one kustomization of an overlay (see OVERLAY_PARTS), as `kubectl kustomize` builds it. */
export function buildPart(overlay: Overlay, part: string): KubeObject[] {
  const key = `${overlay}/${part}`;
  let objects = builds.get(key);
  if (!objects) {
    objects = kustomizeBuild(join(deployDir, 'k8s', 'overlays', overlay, part));
    builds.set(key, objects);
  }
  return structuredClone(objects);
}

/** A fresh copy of everything an overlay puts in the cluster: each of its parts, as `kubectl kustomize` builds them. */
export function buildOverlay(overlay: Overlay): KubeObject[] {
  return OVERLAY_PARTS[overlay].flatMap((part) => buildPart(overlay, part));
}

/** A fresh copy of deploy/services.json. */
export function contract(): Contract {
  return loadContract();
}

/** The object of a kind and name, or a thrown error (for tests that mutate it). */
export function pick<T>(objects: KubeObject[], kind: string, name: string): T {
  const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (!object) throw new Error(`${kind}/${name} is not in the build`);
  return object as unknown as T;
}

/** ConfigMap switchyard-config of a build, under its generated (content-hashed) name; thrown if missing. */
export function sharedConfig(objects: KubeObject[]): IConfigMap {
  const configMap = findGenerated<IConfigMap>(objects, 'ConfigMap', CONFIG_MAP_NAME);
  if (!configMap) throw new Error(`ConfigMap/${CONFIG_MAP_NAME} is not in the build`);
  return configMap;
}
