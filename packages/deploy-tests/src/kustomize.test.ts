import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOverlay, buildPart, contract, OVERLAYS } from './builds.js';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { kustomizeBuild, parseManifests } from './kustomize.js';
import { parseQuantity } from './quantity.js';

describe('kubectl kustomize', () => {
  it.each(OVERLAYS)('builds overlays/%s into the expected objects', (overlay) => {
    const objects = buildOverlay(overlay);
    const names = (kind: string) =>
      objects.filter((object) => object.kind === kind).map((object) => object.metadata.name);
    const services = Object.keys(contract().services);
    expect(names('Deployment')).toEqual(expect.arrayContaining(['redis', ...services]));
    expect(names('Service')).toEqual(expect.arrayContaining(['redis', ...services]));
    expect(names('PodDisruptionBudget').sort()).toEqual([...services].sort());
    // Generated: its name carries a hash of its content (see rollout.test.ts).
    expect(names('ConfigMap')).toContainEqual(expect.stringMatching(/^switchyard-config-[a-z0-9]{10}$/));
    expect(names('Namespace')).toEqual(['switchyard']);
    expect(names('NetworkPolicy')).toEqual(
      expect.arrayContaining(['default-deny-ingress', 'gateway-ingress', 'backend-ingress', 'redis-ingress']),
    );
  });

  it("keeps the namespace and Redis's volume claim out of what `kubectl delete -k overlays/production` removes", () => {
    const kinds = (objects: ReturnType<typeof buildOverlay>) =>
      objects.map((object) => `${object.kind}/${object.metadata.name}`).sort();
    // Applied first and apart: the data, and the namespace the Secret lives in.
    const data = buildPart('production', 'data');
    expect(kinds(data)).toEqual(['Namespace/switchyard', 'PersistentVolumeClaim/redis-data']);
    // Kept from a GitOps tool's prune too, once the workloads' build no longer holds them.
    for (const object of data) {
      expect(object.metadata.annotations, `${object.kind}/${object.metadata.name}`).toMatchObject({
        'argocd.argoproj.io/sync-options': 'Prune=false',
        'kustomize.toolkit.fluxcd.io/prune': 'disabled',
      });
    }
    // The workloads' build, which `delete -k` deletes: it took the claim (the stock) and the
    // namespace (everything in it, the Secret too) with it.
    const workloads = kinds(buildPart('production', '.'));
    expect(workloads.filter((name) => /^(Namespace|PersistentVolumeClaim)\//.test(name))).toEqual([]);
    expect(workloads).toContain('Deployment/redis');
  });

  it("generates the registry's password Secret in overlays/local only: production brings its own", () => {
    const secrets = (overlay: (typeof OVERLAYS)[number]) =>
      buildOverlay(overlay)
        .filter((object) => object.kind === 'Secret')
        .map((object) => object.metadata.name);
    expect(secrets('local')).toEqual([expect.stringMatching(/^switchyard-registry-[a-z0-9]+$/)]);
    expect(secrets('production')).toEqual([]);
  });

  it('includes the OpenTelemetry collector component in local only', () => {
    const collector = (overlay: (typeof OVERLAYS)[number]) =>
      buildOverlay(overlay)
        .filter((object) => object.metadata.name.startsWith('otel-collector'))
        .map((object) => object.kind);
    expect(collector('local').sort()).toEqual(['ConfigMap', 'Deployment', 'NetworkPolicy', 'Service']);
    expect(collector('production')).toEqual([]);
  });

  it("leaves the collector's Go runtime headroom below its memory limit (GOMEMLIMIT at most 90 % of it)", () => {
    const deployment = buildOverlay('local').find(
      (object) => object.kind === 'Deployment' && object.metadata.name === 'otel-collector',
    ) as unknown as IDeployment;
    const container = deployment.spec!.template.spec!.containers[0]!;
    const limit = parseQuantity(container.resources?.limits?.memory);
    const soft = container.env?.find((variable) => variable.name === 'GOMEMLIMIT')?.value;
    // Go spells binary units MiB/GiB; Kubernetes Mi/Gi.
    const goLimit = parseQuantity(soft?.replace(/iB$/, 'i'));
    expect(limit).toBeDefined();
    expect(goLimit, `GOMEMLIMIT ${soft}`).toBeDefined();
    expect(goLimit as number).toBeLessThanOrEqual((limit as number) * 0.9);
  });

  it.each(OVERLAYS)('puts every object of overlays/%s in the switchyard namespace, labelled part-of', (overlay) => {
    for (const object of buildOverlay(overlay)) {
      if (object.kind !== 'Namespace')
        expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe('switchyard');
      expect(object.metadata.labels?.['app.kubernetes.io/part-of'], `${object.kind}/${object.metadata.name}`).toBe(
        contract().partOf,
      );
    }
  });

  describe('failures', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'deploy-tests-'));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    it('reports kubectl’s error for a kustomization that does not build', () => {
      writeFileSync(join(scratch, 'kustomization.yaml'), 'resources:\n  - missing.yaml\n');
      expect(() => kustomizeBuild(scratch)).toThrow(/kubectl kustomize .* failed: .*missing\.yaml/s);
    });

    it('fails with a clear message when kubectl is missing', () => {
      expect(() => kustomizeBuild(scratch, { kubectl: join(scratch, 'no-such-kubectl') })).toThrow(
        /kubectl was not found on PATH.*do not skip/s,
      );
    });

    it('rejects documents that are not Kubernetes objects', () => {
      expect(parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n')).toHaveLength(1);
      expect(() => parseManifests('apiVersion: v1\nkind: ConfigMap\n')).toThrow(/metadata\.name/);
      expect(() => parseManifests('a: [1,\n')).toThrow(/document 0/);
    });
  });
});
