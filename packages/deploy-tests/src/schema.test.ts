import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { describe, expect, it } from 'vitest';
import { buildOverlay, OVERLAYS, pick } from './builds.js';
import type { KubeObject } from './objects.js';
import { validateAgainstSchema, validateAllAgainstSchema } from './schema-validation.js';

describe('Kubernetes schema validation (kubernetes-models 4.x)', () => {
  it.each(OVERLAYS)('validates every object of overlays/%s', async (overlay) => {
    expect(await validateAllAgainstSchema(buildOverlay(overlay))).toEqual([]);
  });

  it('rejects a kind it has no schema for', async () => {
    const monitor: KubeObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'catalog' },
    };
    expect(await validateAgainstSchema(monitor)).toEqual([
      'ServiceMonitor/catalog: no Kubernetes schema for apiVersion "monitoring.coreos.com/v1" kind "ServiceMonitor"',
    ]);
  });

  it('rejects an API version that does not exist and a sub-structure posing as a kind', async () => {
    const objects = buildOverlay('local');
    const deployment = pick<KubeObject>(objects, 'Deployment', 'catalog');
    expect(await validateAgainstSchema({ ...deployment, apiVersion: 'apps/v2' })).toEqual([
      expect.stringContaining('no Kubernetes schema for apiVersion "apps/v2"'),
    ]);
    expect(await validateAgainstSchema({ ...deployment, kind: 'DeploymentSpec' })).toEqual([
      expect.stringContaining('kind "DeploymentSpec"'),
    ]);
  });

  it('catches a field of the wrong type and a missing required field', async () => {
    const objects = buildOverlay('production');
    const catalog = pick<IDeployment>(objects, 'Deployment', 'catalog');
    (catalog.spec!.template.spec!.containers[0]!.ports![0] as { containerPort: unknown }).containerPort = 'grpc';
    const hpa = pick<{ spec: { maxReplicas?: number } }>(objects, 'HorizontalPodAutoscaler', 'orders');
    delete hpa.spec.maxReplicas;
    const problems = await validateAllAgainstSchema(objects);
    expect(problems).toEqual([
      expect.stringMatching(/^Deployment\/catalog: .*containerPort must be integer/),
      expect.stringMatching(/^HorizontalPodAutoscaler\/orders: .*maxReplicas/),
    ]);
  });
});
