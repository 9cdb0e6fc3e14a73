import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOverlay, contract, OVERLAYS, pick, sharedConfig } from './builds.js';
import { checkComposeEnvironmentNames, checkEnvironmentNames, namesInCode } from './checks/environment-names.js';
import { loadComposeFile } from './compose-file.js';
import { deployDir } from './contract.js';

const known = namesInCode();
const loadCompose = () => loadComposeFile(join(deployDir, 'compose', 'compose.yaml'));

describe('variable names the services get', () => {
  it.each(OVERLAYS)('are all read by the services or the SDK in overlays/%s', (overlay) => {
    expect(checkEnvironmentNames(buildOverlay(overlay), contract(), known)).toEqual([]);
  });

  it('are all read by the services or the SDK in Compose', () => {
    expect(checkComposeEnvironmentNames(loadCompose(), contract(), known)).toEqual([]);
  });

  it('reads the names from the code, not from a list here', () => {
    for (const name of [
      'SWITCHYARD_DRAIN_DELAY_MS',
      'SWITCHYARD_ZONE',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'CATALOG_STOCK_URL',
    ])
      expect(known, name).toContain(name);
    expect(known).not.toContain('SWITCHYARD_DRAIN_DELAY');
  });

  it('catches a misspelt name in the ConfigMap, a container and Compose', () => {
    const objects = buildOverlay('production');
    const data = sharedConfig(objects).data!;
    data.SWITCHYARD_LISTEN_HOSTS = '::';
    const catalog = pick<IDeployment>(objects, 'Deployment', 'catalog').spec!.template.spec!.containers[0]!;
    catalog.env!.push({ name: 'OTEL_EXPORTER_OTLP_ENDPIONT', value: 'http://collector:4318' });
    const problems = checkEnvironmentNames(objects, contract(), known);
    expect(problems).toContain(
      'Deployment/catalog container catalog: sets OTEL_EXPORTER_OTLP_ENDPIONT, which nothing in the service or the SDK reads (a misspelt name?)',
    );
    // The ConfigMap reaches every service: one problem each.
    expect(problems.filter((problem) => problem.includes('sets SWITCHYARD_LISTEN_HOSTS,'))).toHaveLength(5);
    expect(problems).toHaveLength(6);

    const compose = loadCompose();
    (compose.services.search!.environment as Record<string, string>).SWITCHYARD_SHUTDOWN_GRACE = '10000';
    expect(checkComposeEnvironmentNames(compose, contract(), known)).toEqual([
      'compose service search: sets SWITCHYARD_SHUTDOWN_GRACE, which nothing in the service or the SDK reads (a misspelt name?)',
    ]);
  });
});
