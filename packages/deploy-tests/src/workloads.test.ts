import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IService } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { buildOverlay, contract, OVERLAYS, pick } from './builds.js';
import { checkContainers } from './checks/containers.js';
import { checkServiceMemory } from './checks/memory.js';
import { checkSelectors } from './checks/selectors.js';
import type { KubeObject } from './objects.js';

function container(objects: KubeObject[], name: string) {
  return pick<IDeployment>(objects, 'Deployment', name).spec!.template.spec!.containers[0]!;
}

describe('selectors', () => {
  it.each(OVERLAYS)('all match in overlays/%s', (overlay) => {
    expect(checkSelectors(buildOverlay(overlay))).toEqual([]);
  });

  it('catches a Deployment whose selector does not match its pods', () => {
    const objects = buildOverlay('local');
    pick<IDeployment>(objects, 'Deployment', 'search').spec!.selector.matchLabels = {
      'app.kubernetes.io/name': 'serach',
    };
    expect(checkSelectors(objects)).toContain('Deployment/search: selector does not match its pod template labels');
  });

  it('catches a Service that selects nothing and one that targets a port the pods lack', () => {
    const objects = buildOverlay('local');
    pick<IService>(objects, 'Service', 'orders').spec!.selector = { 'app.kubernetes.io/name': 'order' };
    pick<IService>(objects, 'Service', 'gateway').spec!.ports![0]!.targetPort = 'web';
    expect(checkSelectors(objects)).toEqual([
      'Service/gateway: port http targets web, which no container of Deployment/gateway declares',
      "Service/orders: selector matches no Deployment's pods",
    ]);
  });

  it('catches an empty, a dangling and an overlapping PodDisruptionBudget', () => {
    const objects = buildOverlay('production');
    pick<IPodDisruptionBudget>(objects, 'PodDisruptionBudget', 'search').spec!.selector = {};
    pick<IPodDisruptionBudget>(objects, 'PodDisruptionBudget', 'orders').spec!.selector = {
      matchLabels: { app: 'orders' },
    };
    const extra = structuredClone(pick<IPodDisruptionBudget>(objects, 'PodDisruptionBudget', 'catalog'));
    extra.metadata!.name = 'catalog-extra';
    objects.push(extra as unknown as KubeObject);
    expect(checkSelectors(objects)).toEqual([
      "PodDisruptionBudget/orders: selector matches no Deployment's pods",
      'PodDisruptionBudget/search: selector is empty (it would cover every pod in the namespace)',
      'Deployment/catalog: pods covered by several PDBs (PodDisruptionBudget/catalog, PodDisruptionBudget/catalog-extra)',
    ]);
  });
});

describe('containers', () => {
  it.each(OVERLAYS)('are probed, sized and locked down in overlays/%s', (overlay) => {
    expect(checkContainers(buildOverlay(overlay))).toEqual([]);
  });

  it('catches missing probes and resources', () => {
    const objects = buildOverlay('local');
    delete container(objects, 'recommendation').readinessProbe;
    delete container(objects, 'redis').livenessProbe;
    delete container(objects, 'catalog').resources!.limits;
    container(objects, 'gateway').resources!.requests!.memory = '1Gi';
    expect(checkContainers(objects)).toEqual([
      'Deployment/catalog container catalog: no cpu limit',
      'Deployment/catalog container catalog: no memory limit',
      'Deployment/gateway container gateway: memory limit is below its request',
      'Deployment/recommendation container recommendation: no readinessProbe',
      'Deployment/redis container redis: no livenessProbe',
    ]);
  });

  it('catches a container that may run as root or write its root filesystem', () => {
    const objects = buildOverlay('production');
    const orders = pick<IDeployment>(objects, 'Deployment', 'orders').spec!.template.spec!;
    delete orders.securityContext!.runAsNonRoot;
    orders.securityContext!.runAsUser = 0;
    container(objects, 'search').securityContext!.readOnlyRootFilesystem = false;
    container(objects, 'catalog').securityContext!.capabilities = { drop: ['NET_RAW'] };
    expect(checkContainers(objects)).toEqual([
      'Deployment/catalog container catalog: capabilities do not drop ALL',
      'Deployment/orders container orders: runAsNonRoot is not true',
      'Deployment/orders container orders: runs as uid 0',
      'Deployment/search container search: readOnlyRootFilesystem is not true',
    ]);
  });

  it('catches a moving image tag and a mounted service account token', () => {
    const objects = buildOverlay('production');
    container(objects, 'redis').image = 'redis:7.4'; // what base/redis.yaml had
    container(objects, 'gateway').image = 'switchyard/gateway';
    container(objects, 'search').image = 'registry.example.com:5000/switchyard/search:latest';
    container(objects, 'orders').image = `switchyard/orders@sha256:${'a'.repeat(64)}`;
    delete pick<IDeployment>(objects, 'Deployment', 'catalog').spec!.template.spec!.automountServiceAccountToken;
    expect(checkContainers(objects)).toEqual([
      'Deployment/catalog: mounts a service account token (automountServiceAccountToken is not false)',
      'Deployment/gateway container gateway: image switchyard/gateway runs whatever `latest` is when a node pulls it',
      'Deployment/redis container redis: image tag 7.4 moves; pin a full version (x.y.z) or a digest',
      'Deployment/search container search: image registry.example.com:5000/switchyard/search:latest runs whatever `latest` is when a node pulls it',
    ]);
  });

  it('refuses workload kinds it does not check', () => {
    const objects = buildOverlay('local');
    objects.push({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'redis-ha' } });
    expect(checkContainers(objects)).toEqual([
      'StatefulSet/redis-ha: workload kind StatefulSet is not covered by the container checks',
    ]);
  });
});

describe('memory of the example services', () => {
  // overlays/local gave them 96Mi requested and a 192Mi limit: a gateway with tracing on is
  // ~185 MiB resident once started and ~205 MiB under light load (node, tsx's esbuild process).
  it.each(OVERLAYS)('covers what the images use in overlays/%s', (overlay) => {
    expect(checkServiceMemory(buildOverlay(overlay), contract())).toEqual([]);
  });

  it('catches a request or a limit below the footprint in services.json, and no memory at all', () => {
    const objects = buildOverlay('production');
    container(objects, 'gateway').resources!.limits!.memory = '192Mi';
    container(objects, 'search').resources!.requests!.memory = '96Mi';
    delete container(objects, 'orders').resources;
    expect(checkServiceMemory(objects, contract())).toEqual([
      'Deployment/gateway container gateway: memory limit 192Mi is below 320Mi, what the image needs (services.json memory)',
      'Deployment/search container search: memory request 96Mi is below 192Mi, what the image needs (services.json memory)',
      'Deployment/orders container orders: memory request unset is below 192Mi, what the image needs (services.json memory)',
      'Deployment/orders container orders: memory limit unset is below 320Mi, what the image needs (services.json memory)',
    ]);
  });
});
