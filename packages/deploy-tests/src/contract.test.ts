import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IService } from 'kubernetes-models/v1/Service';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOverlay, contract, OVERLAYS, pick, sharedConfig } from './builds.js';
import { checkContract } from './checks/contract.js';
import { callsIn, checkDependsOn, codeDependencies } from './checks/dependencies.js';
import { checkConfiguration } from './checks/references.js';
import { deployDir, loadContract } from './contract.js';
import type { KubeObject } from './objects.js';

function container(objects: KubeObject[], name: string) {
  return pick<IDeployment>(objects, 'Deployment', name).spec!.template.spec!.containers[0]!;
}

describe('manifests against deploy/services.json', () => {
  it.each(OVERLAYS)('match in overlays/%s', (overlay) => {
    expect(checkContract(buildOverlay(overlay), contract())).toEqual([]);
  });

  it('catches a wrong image, port and probes', () => {
    const objects = buildOverlay('local');
    container(objects, 'catalog').image = 'switchyard/catalog:latest';
    container(objects, 'search').ports![0]!.containerPort = 50052;
    container(objects, 'orders').livenessProbe!.grpc!.service = '';
    container(objects, 'recommendation').readinessProbe = { tcpSocket: { port: 50051 } };
    container(objects, 'gateway').readinessProbe!.httpGet!.path = '/healthz';
    expect(checkContract(objects, contract())).toEqual([
      'Deployment/gateway container gateway readinessProbe: GET /healthz on 8080, expected /readyz on 8080',
      'Deployment/catalog container catalog: image switchyard/catalog:latest, expected switchyard/catalog:0.1.0',
      'Deployment/recommendation container recommendation readinessProbe: expected a grpc probe',
      'Deployment/search container search: ports {"grpc":50052,"metrics":9464}, expected {"grpc":50051,"metrics":9464}',
      'Service/search: no port 50051 (grpc) → 50051',
      'Deployment/orders container orders livenessProbe: grpc 50051 service "", expected 50051 service "liveness"',
      'Deployment/catalog container catalog: image switchyard/catalog:latest is not in services.json',
    ]);
  });

  it('refuses a contract whose image does not follow switchyard/<name>:<version>', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'deploy-tests-contract-')), 'services.json');
    const raw = JSON.parse(readFileSync(join(deployDir, 'services.json'), 'utf8'));
    raw.services.search.image = 'switchyard/search:latest';
    writeFileSync(path, JSON.stringify(raw));
    expect(() => loadContract(path)).toThrow(/services\.search\.image should be switchyard\/search:0\.1\.0/);
    rmSync(dirname(path), { recursive: true });
  });

  it('catches a contract change the manifests do not follow', () => {
    const changed = contract();
    changed.services.gateway!.service!.port = 8080;
    changed.services.catalog!.ports.metrics = 9090;
    changed.runAsUser = 1000;
    const problems = checkContract(buildOverlay('production'), changed);
    expect(problems).toContain('Service/gateway: no port 8080 → 8080');
    expect(problems).toContain(
      'Deployment/catalog container catalog: ports {"grpc":50051,"metrics":9464}, expected {"grpc":50051,"metrics":9090}',
    );
    expect(problems.filter((problem) => problem.endsWith('runAsUser 10001, expected 1000'))).toHaveLength(5);
  });

  it('catches a metrics port nothing would listen on, and metrics turned on where no port is declared', () => {
    const objects = buildOverlay('production');
    const catalog = container(objects, 'catalog');
    catalog.env = catalog.env!.filter((variable) => variable.name !== 'SWITCHYARD_METRICS_PORT');
    container(objects, 'search').env!.find((variable) => variable.name === 'SWITCHYARD_METRICS_PORT')!.value = '9090';
    // Every service declares a metrics port now; one that did not, and still set the variable:
    const changed = contract();
    delete changed.services.gateway!.ports.metrics;
    const gateway = container(objects, 'gateway');
    gateway.ports = gateway.ports!.filter((port) => port.name !== 'metrics');
    expect(checkContract(objects, changed)).toEqual([
      'Deployment/gateway container gateway: sets SWITCHYARD_METRICS_PORT but declares no metrics port',
      'Deployment/gateway: serves no metrics (services.json declares no metrics port for gateway)',
      'Deployment/catalog container catalog: SWITCHYARD_METRICS_PORT is unset, expected 9464 (its metrics port)',
      'Deployment/search container search: SWITCHYARD_METRICS_PORT is 9090, expected 9464 (its metrics port)',
    ]);
  });

  it('catches a service that serves no metrics, and pods Prometheus is not told to scrape', () => {
    const objects = buildOverlay('production');
    const annotations = (name: string) =>
      pick<IDeployment>(objects, 'Deployment', name).spec!.template.metadata!.annotations!;
    delete annotations('catalog')['prometheus.io/scrape'];
    annotations('search')['prometheus.io/port'] = '9090';
    annotations('orders')['prometheus.io/path'] = '/';
    const changed = contract();
    delete changed.services.recommendation!.ports.metrics;
    const recommendation = container(objects, 'recommendation');
    recommendation.ports = recommendation.ports!.filter((port) => port.name !== 'metrics');
    recommendation.env = recommendation.env!.filter((variable) => variable.name !== 'SWITCHYARD_METRICS_PORT');
    expect(checkContract(objects, changed)).toEqual([
      'Deployment/catalog: pod annotation prometheus.io/scrape is unset, expected true',
      'Deployment/recommendation: serves no metrics (services.json declares no metrics port for recommendation)',
      'Deployment/search: pod annotation prometheus.io/port is 9090, expected 9464',
      'Deployment/orders: pod annotation prometheus.io/path is /, expected /metrics',
    ]);
  });

  it('catches a missing PDB, a missing /tmp volume, a wrong OTEL_SERVICE_NAME and a ClusterIP gateway gone', () => {
    const objects = buildOverlay('local').filter(
      (object) => !(object.kind === 'PodDisruptionBudget' && object.metadata.name === 'search'),
    );
    container(objects, 'orders').volumeMounts = [];
    container(objects, 'catalog').env![0]!.value = 'catalogue';
    container(objects, 'gateway').env = container(objects, 'gateway').env!.filter(
      (variable) => variable.name !== 'SWITCHYARD_ZONE',
    );
    pick<IService>(objects, 'Service', 'gateway').spec!.type = 'NodePort';
    expect(checkContract(objects, contract())).toEqual([
      'Deployment/gateway container gateway: does not set SWITCHYARD_ZONE',
      'Service/gateway: type NodePort, expected ClusterIP',
      'Deployment/catalog container catalog: OTEL_SERVICE_NAME is catalogue, expected catalog',
      'Deployment/search: no PodDisruptionBudget covers its pods',
      'Deployment/orders container orders: /tmp is not an emptyDir mount',
    ]);
  });
});

describe('configuration and references', () => {
  it.each(OVERLAYS)('resolve in overlays/%s', (overlay) => {
    expect(checkConfiguration(buildOverlay(overlay), contract())).toEqual([]);
  });

  it('catches a registry URL that names no Service and a changed drain delay', () => {
    const objects = buildOverlay('local');
    const data = sharedConfig(objects).data!;
    data.SWITCHYARD_REGISTRY_URL = 'redis://registry:6379';
    data.SWITCHYARD_DRAIN_DELAY_MS = '1000';
    expect(checkConfiguration(objects, contract())).toEqual([
      'ConfigMap/switchyard-config: SWITCHYARD_REGISTRY_URL is "redis://registry:6379", expected redis://redis:6379',
      'ConfigMap/switchyard-config: SWITCHYARD_DRAIN_DELAY_MS is "1000", expected 5000',
      'ConfigMap/switchyard-config: SWITCHYARD_REGISTRY_URL names host registry, but there is no such Service',
    ]);
  });

  it('catches tracing turned on without a collector, and a ConfigMap that does not exist', () => {
    const objects = buildOverlay('production');
    sharedConfig(objects).data!.OTEL_TRACES_EXPORTER = 'otlp';
    container(objects, 'search').envFrom![0]!.configMapRef!.name = 'switchyard-settings';
    expect(checkConfiguration(objects, contract())).toEqual([
      'Deployment/search: loads ConfigMap/switchyard-settings, which the build does not have',
      'ConfigMap/switchyard-config: OTEL_EXPORTER_OTLP_ENDPOINT names host otel-collector, but there is no such Service',
    ]);
  });
});

describe("services.json's dependsOn against the services' code", () => {
  it('names exactly the services each one calls through the SDK', () => {
    expect(checkDependsOn(contract(), codeDependencies(contract()))).toEqual([]);
  });

  it('catches a call dependsOn lacks (search indexes catalog), one it names but nothing makes, and an unknown service', () => {
    const changed = contract();
    changed.services.search!.dependsOn = [];
    changed.services.catalog!.dependsOn = ['orders'];
    const code = codeDependencies(changed);
    code.get('orders')!.calls.add('inventory');
    expect(checkDependsOn(changed, code)).toEqual([
      'catalog: dependsOn orders in services.json, but its code never calls it',
      'search: calls catalog, which its dependsOn in services.json lacks',
      'orders: calls inventory, which services.json does not define',
    ]);
  });

  it('reads grpcClient and discover calls, and reports one it cannot read', () => {
    const source = [
      "const catalog = service.grpcClient(CatalogService, 'catalog', { balancer: 'maglev' });",
      'const search = service.grpcClient(\n  shared.SearchService,\n  "search",\n);',
      "const discovery = service.discover('orders');",
      'const other = service.grpcClient(Definition, name);',
    ].join('\n');
    expect(callsIn(source)).toEqual({
      services: ['catalog', 'search', 'orders'],
      unreadable: ['.grpcClient(Definition, name)'],
    });
  });
});
