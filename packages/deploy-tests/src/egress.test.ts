import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { describe, expect, it } from 'vitest';
import { buildOverlay, contract, OVERLAYS, pick, sharedConfig } from './builds.js';
import { checkEgress, egressAdmits, KUBE_DNS } from './checks/egress.js';

describe('egress NetworkPolicies', () => {
  it.each(OVERLAYS)('deny by default and allow each workload exactly what it opens in overlays/%s', (overlay) => {
    expect(checkEgress(buildOverlay(overlay), contract())).toEqual([]);
  });

  it('catches a call to catalog the policies block (derived from dependsOn)', () => {
    const objects = buildOverlay('production').filter((object) => object.metadata.name !== 'catalog-clients-egress');
    expect(checkEgress(objects, contract())).toEqual([
      'Deployment/orders: egress to Deployment/catalog port 50051/TCP (calls catalog) is blocked',
      'Deployment/recommendation: egress to Deployment/catalog port 50051/TCP (calls catalog) is blocked',
      'Deployment/search: egress to Deployment/catalog port 50051/TCP (calls catalog) is blocked',
    ]);
  });

  it('catches a namespace without a default deny: Redis may then open anything', () => {
    const problems = checkEgress(
      buildOverlay('production').filter((object) => object.metadata.name !== 'default-deny-egress'),
      contract(),
    );
    expect(problems[0]).toBe('no default-deny egress NetworkPolicy (podSelector {}, policyTypes [Egress], no rules)');
    expect(problems).toContain(
      'Deployment/redis: may open the cloud metadata endpoint port 80/TCP, which it does not need',
    );
    expect(problems).toContain('Deployment/redis: may open the Internet port 443/TCP, which it does not need');
    expect(problems.every((problem) => !problem.startsWith('Deployment/redis') || problem.includes('may open'))).toBe(
      true,
    );
  });

  it('catches DNS allowed in any namespace and a rule without ports', () => {
    const objects = buildOverlay('production');
    pick<INetworkPolicy>(objects, 'NetworkPolicy', 'dns-egress').spec!.egress![0]!.to![0]!.namespaceSelector = {};
    pick<INetworkPolicy>(objects, 'NetworkPolicy', 'gateway-egress').spec!.egress![0]!.ports = [];
    const problems = checkEgress(objects, contract());
    expect(problems).toContain(
      'Deployment/search: may open a kube-dns look-alike in another namespace port 53/UDP, which it does not need',
    );
    expect(problems).toContain('Deployment/gateway: may open Deployment/catalog port 9464/TCP, which it does not need');
    expect(problems).toHaveLength(14);
  });

  it('checks the collector component: its egress rule, and that it composes with the collector’s ingress', () => {
    const withoutRule = buildOverlay('local').filter((object) => object.metadata.name !== 'otlp-egress');
    expect(checkEgress(withoutRule, contract())).toContain(
      'Deployment/catalog: egress to Deployment/otel-collector port 4318/TCP (OTEL_EXPORTER_OTLP_ENDPOINT) is blocked',
    );
    const objects = buildOverlay('local');
    pick<INetworkPolicy>(objects, 'NetworkPolicy', 'otel-collector-ingress').spec!.ingress![0]!.ports = [
      { port: 'otlp-grpc', protocol: 'TCP' },
    ];
    expect(checkEgress(objects, contract())).toContain(
      "Deployment/gateway: Deployment/otel-collector port 4318/TCP (OTEL_EXPORTER_OTLP_ENDPOINT) is allowed out but refused by Deployment/otel-collector's ingress policies",
    );
  });

  it('derives needs from the configuration: tracing on without a collector, an exporter to a backend', () => {
    const production = buildOverlay('production');
    sharedConfig(production).data!.OTEL_TRACES_EXPORTER = 'otlp';
    expect(checkEgress(production, contract())).toContain(
      'Deployment/orders: OTEL_EXPORTER_OTLP_ENDPOINT names otel-collector:4318, which no Service of the build serves',
    );
    const local = buildOverlay('local');
    const config = local.find(
      (object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('otel-collector-config'),
    ) as unknown as IConfigMap;
    config.data!['otelcol.yaml'] = config
      .data!['otelcol.yaml']!.replace(
        'exporters:\n',
        'exporters:\n  otlphttp:\n    endpoint: https://tempo.example.com\n',
      )
      .replace('exporters: [debug]', 'exporters: [debug, otlphttp]');
    expect(checkEgress(local, contract())).toEqual([
      'Deployment/otel-collector: exporter otlphttp names tempo.example.com, outside the build: its egress cannot be derived offline (add a policy for it and extend this check)',
    ]);
  });

  it('follows ipBlock excepts, named ports and protocols', () => {
    const objects = buildOverlay('local');
    const policy = pick<INetworkPolicy>(objects, 'NetworkPolicy', 'dns-egress').spec!.egress![0]!;
    const labels = { 'app.kubernetes.io/component': 'backend' };
    const dns = (protocol: 'UDP' | 'TCP', port = 53) => ({ endpoint: KUBE_DNS, port, protocol });
    expect(egressAdmits(objects, labels, dns('UDP'))).toBe(true);
    expect(egressAdmits(objects, labels, dns('TCP', 9153))).toBe(false);
    policy.ports = [{ port: 'dns', protocol: 'UDP' }];
    expect(egressAdmits(objects, labels, dns('UDP'))).toBe(true);
    expect(egressAdmits(objects, labels, dns('TCP'))).toBe(false);
    policy.to = [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16'] } }];
    policy.ports = [{ port: 80, protocol: 'TCP' }];
    const outside = (ip: string) => ({ endpoint: { name: ip, ip, ports: [] }, port: 80, protocol: 'TCP' as const });
    expect(egressAdmits(objects, labels, outside('203.0.113.10'))).toBe(true);
    expect(egressAdmits(objects, labels, outside('169.254.169.254'))).toBe(false);
  });
});
