import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { describe, expect, it } from 'vitest';
import { buildOverlay, contract, pick } from './builds.js';
import { checkAutoscaling } from './checks/autoscaling.js';
import { checkPlacement } from './checks/placement.js';

const production = { replicas: { catalog: { atLeast: 3 }, default: { atLeast: 2 } }, spreadAcrossZones: true };
const local = { replicas: { default: 1 }, spreadAcrossZones: false };

describe('autoscaling', () => {
  it('production has an HPA on CPU for every service, and catalog also scales on in-flight requests', () => {
    const objects = buildOverlay('production');
    expect(checkAutoscaling(objects, contract(), { requireEveryService: true })).toEqual([]);
    const catalog = pick<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', 'catalog');
    expect(catalog.spec!.metrics!.map((metric) => metric.type)).toEqual(['Resource', 'Pods']);
  });

  it('local has no HPA, which the production requirement would catch', () => {
    const objects = buildOverlay('local');
    expect(checkAutoscaling(objects, contract())).toEqual([]);
    expect(checkAutoscaling(objects, contract(), { requireEveryService: true })).toHaveLength(5);
  });

  it('catches an HPA that targets nothing, a missing one and a missing custom metric', () => {
    const objects = buildOverlay('production').filter(
      (object) => !(object.kind === 'HorizontalPodAutoscaler' && object.metadata.name === 'search'),
    );
    pick<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', 'orders').spec!.scaleTargetRef.name = 'order';
    const catalog = pick<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', 'catalog');
    catalog.spec!.metrics = catalog.spec!.metrics!.filter((metric) => metric.type !== 'Pods');
    expect(checkAutoscaling(objects, contract(), { requireEveryService: true })).toEqual([
      'HorizontalPodAutoscaler/orders: targets Deployment/order, which the build does not have',
      'HorizontalPodAutoscaler/catalog: no Pods metric switchyard_server_inflight_requests with an AverageValue target',
      'Deployment/search: no HorizontalPodAutoscaler',
      'Deployment/orders: no HorizontalPodAutoscaler',
    ]);
  });

  it('catches a Deployment that sets replicas while an HPA scales it', () => {
    // Before: the production overlay set them (3/2), and every re-apply reset a scaled-up Deployment.
    const objects = buildOverlay('production');
    pick<IDeployment>(objects, 'Deployment', 'catalog').spec!.replicas = 3;
    expect(checkAutoscaling(objects, contract())).toEqual([
      'Deployment/catalog: sets replicas (3) though HorizontalPodAutoscaler/catalog scales it',
    ]);
  });

  it('catches CPU utilization scaling without a CPU request, and inverted bounds', () => {
    const objects = buildOverlay('production');
    delete pick<IDeployment>(objects, 'Deployment', 'gateway').spec!.template.spec!.containers[0]!.resources!.requests!
      .cpu;
    pick<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', 'recommendation').spec!.minReplicas = 9;
    expect(checkAutoscaling(objects, contract())).toEqual([
      'HorizontalPodAutoscaler/gateway: scales on cpu utilization but container gateway has no cpu request',
      'HorizontalPodAutoscaler/recommendation: minReplicas 9, maxReplicas 8',
    ]);
  });
});

describe('replicas and placement', () => {
  it('local runs one replica of each service', () => {
    expect(checkPlacement(buildOverlay('local'), contract(), local)).toEqual([]);
  });

  it('production runs several replicas spread across zones', () => {
    expect(checkPlacement(buildOverlay('production'), contract(), production)).toEqual([]);
  });

  it('catches too few replicas and a missing zone spread', () => {
    const objects = buildOverlay('production');
    pick<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', 'catalog').spec!.minReplicas = 2;
    delete pick<IDeployment>(objects, 'Deployment', 'orders').spec!.template.spec!.topologySpreadConstraints;
    expect(checkPlacement(objects, contract(), production)).toEqual([
      'Deployment/catalog: 2 replicas, expected {"atLeast":3}',
      'Deployment/orders: no topologySpreadConstraint across zones that selects its pods',
    ]);
    expect(checkPlacement(buildOverlay('production'), contract(), local)).toHaveLength(5);
  });
});
