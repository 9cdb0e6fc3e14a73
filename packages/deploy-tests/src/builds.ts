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

const builds = new Map<Overlay, KubeObject[]>();

/** A fresh copy of an overlay's objects, as `kubectl kustomize` builds them. */
export function buildOverlay(overlay: Overlay): KubeObject[] {
  let objects = builds.get(overlay);
  if (!objects) {
    objects = kustomizeBuild(join(deployDir, 'k8s', 'overlays', overlay));
    builds.set(overlay, objects);
  }
  return structuredClone(objects);
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
