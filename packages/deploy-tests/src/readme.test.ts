/**
 * Snippets of deploy/README.md that users paste into their overlays: each is built with
 * `kubectl kustomize` on top of an overlay and must do what the README says, and nothing else.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { contract, pick } from './builds.js';
import { checkContract } from './checks/contract.js';
import { checkRegistryAuth } from './checks/registry-auth.js';
import { deployDir } from './contract.js';
import { kustomizeBuild } from './kustomize.js';

/** The README's fenced YAML block that contains `marker`, dedented. */
function readmeYaml(marker: string): string {
  const readme = readFileSync(join(deployDir, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^( *)```yaml\n([\s\S]*?)^\1```$/gm)];
  const block = blocks.find((match) => match[2]!.includes(marker));
  if (!block) throw new Error(`deploy/README.md has no yaml block with ${marker}`);
  const indent = block[1]!.length;
  return block[2]!
    .split('\n')
    .map((line) => line.slice(indent))
    .join('\n');
}

describe('deploy/README.md snippets', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'deploy-tests-readme-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('the per-overlay SWITCHYARD_ZONE patch sets the zone of every service and leaves its other variables alone', () => {
    const snippet = parse(readmeYaml('SWITCHYARD_ZONE, value: eu-west-1a')) as { patches?: unknown[] };
    expect(snippet.patches, 'the snippet is a kustomization `patches:` list').toBeInstanceOf(Array);
    const base = relative(scratch, join(deployDir, 'k8s', 'overlays', 'production'));
    writeFileSync(join(scratch, 'kustomization.yaml'), stringify({ resources: [base], patches: snippet.patches }));
    const objects = kustomizeBuild(scratch);

    for (const name of Object.keys(contract().services)) {
      const env = pick<IDeployment>(objects, 'Deployment', name).spec!.template.spec!.containers[0]!.env ?? [];
      expect(
        env.filter((variable) => variable.name === 'SWITCHYARD_ZONE'),
        name,
      ).toEqual([{ name: 'SWITCHYARD_ZONE', value: 'eu-west-1a' }]);
    }
    // Replacing env entry 1 blindly used to overwrite SWITCHYARD_REGISTRY_PASSWORD with the zone:
    // every service then failed to authenticate to Redis.
    expect(checkRegistryAuth(objects, contract())).toEqual([]);
    expect(checkContract(objects, contract())).toEqual([]);
  });
});
