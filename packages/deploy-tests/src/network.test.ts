import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { describe, expect, it } from 'vitest';
import { buildOverlay, contract, OVERLAYS, pick } from './builds.js';
import { admits, checkNetworkPolicies } from './checks/network-policies.js';
import { checkComposeRegistryAuth, checkRegistryAuth } from './checks/registry-auth.js';
import { loadComposeFile } from './compose-file.js';
import { deployDir } from './contract.js';
import type { KubeObject } from './objects.js';
import { join } from 'node:path';

function container(objects: KubeObject[], name: string) {
  return pick<IDeployment>(objects, 'Deployment', name).spec!.template.spec!.containers[0]!;
}

const loadCompose = () => loadComposeFile(join(deployDir, 'compose', 'compose.yaml'));

describe('NetworkPolicies', () => {
  it.each(OVERLAYS)('cover every pod and admit exactly the example’s traffic in overlays/%s', (overlay) => {
    expect(checkNetworkPolicies(buildOverlay(overlay), contract())).toEqual([]);
  });

  it('catches a namespace without a default deny and a Redis open to everyone', () => {
    const objects = buildOverlay('local').filter((object) => object.metadata.name !== 'default-deny-ingress');
    delete pick<INetworkPolicy>(objects, 'NetworkPolicy', 'redis-ingress').spec!.ingress![0]!.from;
    expect(checkNetworkPolicies(objects, contract())).toEqual([
      'Deployment/redis: redis port 6379 is open to an unrelated pod of the namespace',
      'Deployment/redis: redis port 6379 is open to a pod of another namespace',
      'Deployment/redis: redis port 6379 is open to outside the cluster',
    ]);
    // And a pod no policy selects admits everything: the evaluator says so.
    const bare = buildOverlay('local').filter((object) => object.kind !== 'NetworkPolicy');
    expect(checkNetworkPolicies(bare, contract())).toContain(
      'Deployment/catalog: no ingress NetworkPolicy selects its pods (everything may reach them)',
    );
  });

  it('catches a backend its callers cannot reach, and metrics closed to Prometheus', () => {
    const objects = buildOverlay('production');
    const backend = pick<INetworkPolicy>(objects, 'NetworkPolicy', 'backend-ingress').spec!;
    backend.ingress![0]!.from = [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gateway' } } }];
    backend.ingress = backend.ingress!.slice(0, 1);
    expect(checkNetworkPolicies(objects, contract())).toEqual([
      'Deployment/catalog: grpc port 50051 is closed to Deployment/recommendation',
      'Deployment/catalog: grpc port 50051 is closed to Deployment/search',
      'Deployment/catalog: grpc port 50051 is closed to Deployment/orders',
      'Deployment/catalog: metrics port 9464 is closed to Prometheus in another namespace',
      'Deployment/recommendation: metrics port 9464 is closed to Prometheus in another namespace',
      'Deployment/search: metrics port 9464 is closed to Prometheus in another namespace',
      'Deployment/orders: metrics port 9464 is closed to Prometheus in another namespace',
    ]);
  });

  it('judges a namespaceSelector by the namespace’s name, as Kubernetes does (and the egress check)', () => {
    // Redis "kept to the namespace" by a namespaceSelector alone admits every pod of it: the
    // unrelated pod that could register a rogue instance. It was judged to admit nothing at all.
    const toNamespace = buildOverlay('local');
    pick<INetworkPolicy>(toNamespace, 'NetworkPolicy', 'redis-ingress').spec!.ingress![0]!.from = [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'switchyard' } } },
    ];
    expect(checkNetworkPolicies(toNamespace, contract())).toEqual([
      'Deployment/redis: redis port 6379 is open to an unrelated pod of the namespace',
    ]);
    // Any namespace with a name (all of them), through an expression.
    const everywhere = buildOverlay('production');
    pick<INetworkPolicy>(everywhere, 'NetworkPolicy', 'redis-ingress').spec!.ingress![0]!.from = [
      { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'Exists' }] } },
    ];
    expect(checkNetworkPolicies(everywhere, contract())).toEqual([
      'Deployment/redis: redis port 6379 is open to an unrelated pod of the namespace',
      'Deployment/redis: redis port 6379 is open to a pod of another namespace',
    ]);
    // Metrics kept to Prometheus's own namespace (tighter than every namespace) still reach it.
    const monitoring = buildOverlay('production');
    pick<INetworkPolicy>(monitoring, 'NetworkPolicy', 'backend-ingress').spec!.ingress![1]!.from = [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ];
    expect(checkNetworkPolicies(monitoring, contract())).toEqual([]);
  });

  it('follows named ports, port ranges and the other protocols', () => {
    const objects = buildOverlay('local');
    const catalog = pick<IDeployment>(objects, 'Deployment', 'catalog');
    const gatewayPod = {
      kind: 'pod' as const,
      labels: { 'app.kubernetes.io/component': 'api-gateway' },
      sameNamespace: true,
      name: 'g',
    };
    const rule = pick<INetworkPolicy>(objects, 'NetworkPolicy', 'backend-ingress').spec!.ingress![0]!;
    expect(admits(objects, gatewayPod, { deployment: catalog, port: 50051 })).toBe(true);
    expect(admits(objects, gatewayPod, { deployment: catalog, port: 50052 })).toBe(false);
    rule.ports = [{ port: 50000, endPort: 50100, protocol: 'TCP' }];
    expect(admits(objects, gatewayPod, { deployment: catalog, port: 50051 })).toBe(true);
    rule.ports = [{ port: 'grpc', protocol: 'UDP' }];
    expect(admits(objects, gatewayPod, { deployment: catalog, port: 50051 })).toBe(false);
  });
});

describe("the registry's password", () => {
  it.each(OVERLAYS)('reaches Redis and every service from one Secret in overlays/%s', (overlay) => {
    expect(checkRegistryAuth(buildOverlay(overlay), contract())).toEqual([]);
  });

  it('catches a Redis without --requirepass, a service without the password and a wrong or optional Secret', () => {
    const objects = buildOverlay('local');
    const redis = container(objects, 'redis');
    redis.args = redis.args!.filter((arg) => arg !== '--requirepass' && arg !== '$(REDISCLI_AUTH)');
    container(objects, 'search').env = container(objects, 'search').env!.filter(
      (variable) => variable.name !== 'SWITCHYARD_REGISTRY_PASSWORD',
    );
    const orders = container(objects, 'orders').env!.find(
      (variable) => variable.name === 'SWITCHYARD_REGISTRY_PASSWORD',
    )!;
    orders.valueFrom!.secretKeyRef!.name = 'switchyard-registry';
    const gateway = container(objects, 'gateway').env!.find(
      (variable) => variable.name === 'SWITCHYARD_REGISTRY_PASSWORD',
    )!;
    gateway.valueFrom!.secretKeyRef!.optional = true;
    const secret = objects.find((object) => object.kind === 'Secret')!.metadata.name;
    expect(checkRegistryAuth(objects, contract())).toEqual([
      "Deployment/gateway container gateway: SWITCHYARD_REGISTRY_PASSWORD's Secret is optional",
      `Deployment/orders container orders: SWITCHYARD_REGISTRY_PASSWORD comes from Secret/switchyard-registry key password, expected Secret/${secret} key password`,
      'Deployment/redis container redis: does not run with --requirepass $(REDISCLI_AUTH)',
      `Deployment/search container search: SWITCHYARD_REGISTRY_PASSWORD does not come from Secret/${secret}`,
    ]);
  });

  it('is asked for and passed on in Compose too', () => {
    expect(checkComposeRegistryAuth(loadCompose(), contract())).toEqual([]);
    const compose = loadCompose();
    compose.services.redis!.command = ['redis-server'];
    delete (compose.services.catalog!.environment as Record<string, string>).SWITCHYARD_REGISTRY_PASSWORD;
    expect(checkComposeRegistryAuth(compose, contract())).toEqual([
      `compose service catalog: SWITCHYARD_REGISTRY_PASSWORD is not \${SWITCHYARD_REGISTRY_PASSWORD}`,
      `compose service redis: does not run with --requirepass \${SWITCHYARD_REGISTRY_PASSWORD}`,
    ]);
  });
});
