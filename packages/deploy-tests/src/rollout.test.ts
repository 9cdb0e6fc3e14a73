/**
 * Configuration reaches running pods only when they restart: `envFrom` is read at container start.
 * So a change to the shared ConfigMap must change the pod template of every service that loads it
 * (kustomize does that for a generated, content-hashed ConfigMap: the reference changes with the
 * content). Built by `kubectl kustomize` on top of each overlay, as a user's overlay would patch it.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOverlay, contract, OVERLAYS, pick } from './builds.js';
import { CONFIG_MAP_NAME, deployDir } from './contract.js';
import { kustomizeBuild } from './kustomize.js';
import { findGenerated } from './objects.js';

describe('configuration rollout', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'deploy-tests-rollout-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.each(OVERLAYS)(
    `a change to ConfigMap ${CONFIG_MAP_NAME} rolls every service that loads it in overlays/%s`,
    (overlay) => {
      // What README tells users to do for an HA registry: patch SWITCHYARD_REGISTRY_URL. With a
      // fixed ConfigMap name nothing restarted: running pods kept the old Redis while every pod
      // the HPA added registered in the new one, so each half saw only its own instances.
      const directory = join(scratch, overlay);
      const patched = 'redis://redis-ha:6379';
      mkdirSync(directory, { recursive: true });
      writeFileSync(
        join(directory, 'kustomization.yaml'),
        stringify({
          resources: [relative(directory, join(deployDir, 'k8s', 'overlays', overlay))],
          patches: [
            {
              patch: stringify({
                apiVersion: 'v1',
                kind: 'ConfigMap',
                metadata: { name: CONFIG_MAP_NAME },
                data: { SWITCHYARD_REGISTRY_URL: patched },
              }),
            },
          ],
        }),
      );
      const before = buildOverlay(overlay);
      const after = kustomizeBuild(directory);
      expect(findGenerated<IConfigMap>(after, 'ConfigMap', CONFIG_MAP_NAME)?.data?.SWITCHYARD_REGISTRY_URL).toBe(
        patched,
      );
      for (const name of Object.keys(contract().services)) {
        const template = (objects: typeof before) => pick<IDeployment>(objects, 'Deployment', name).spec!.template;
        expect(template(after), `Deployment/${name}'s pod template`).not.toEqual(template(before));
      }
    },
  );
});
