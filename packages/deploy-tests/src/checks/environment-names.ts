/**
 * Every variable the manifests and the Compose file give an example service is one its code reads.
 * Kubernetes and Compose take any name, and the process ignores one it does not know: a misspelt
 * `SWITCHYARD_LISTEN_HOSTS` or `OTEL_EXPORTER_OTLP_ENDPIONT` leaves the setting at its default
 * with nothing said anywhere. "Read" means the name appears as a whole word in the non-test
 * TypeScript of the example services (`examples/shopping-guide/<name>/src`, `shared/src`) or of a
 * Switchyard package (`packages/<package>/src`, this one excepted): every variable the SDK honours,
 * OpenTelemetry's included, is named there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { ComposeFile } from '../compose-file.js';
import type { Contract } from '../contract.js';
import { repoRoot } from '../contract.js';
import type { KubeObject } from '../objects.js';
import { containerEnvironment, describe, findObject, podSpec } from '../objects.js';
import { composeEnvironment } from './compose.js';

/** This package names variables in its checks and tests; it reads none of them. */
const OWN_PACKAGE = 'deploy-tests';

function sourceTexts(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.[cm]?ts$/.test(entry.name) && !/\.test(-d)?\.[cm]?ts$/.test(entry.name))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'));
}

/** The upper-case words (environment variable names) of the example services' and the SDK's code. */
export function namesInCode(root = repoRoot): Set<string> {
  const directories = [
    ...readdirSync(join(root, 'packages'))
      .filter((name) => name !== OWN_PACKAGE)
      .map((name) => join(root, 'packages', name, 'src')),
    ...readdirSync(join(root, 'examples', 'shopping-guide')).map((name) =>
      join(root, 'examples', 'shopping-guide', name, 'src'),
    ),
  ];
  const names = new Set<string>();
  for (const text of directories.flatMap(sourceTexts)) {
    for (const [word] of text.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)) names.add(word);
  }
  return names;
}

function unread(where: string, environment: Iterable<string>, known: ReadonlySet<string>): string[] {
  return [...environment]
    .filter((name) => !known.has(name))
    .map((name) => `${where}: sets ${name}, which nothing in the service or the SDK reads (a misspelt name?)`);
}

/** Problems with the variable names the example services get in one build. */
export function checkEnvironmentNames(objects: KubeObject[], contract: Contract, known: ReadonlySet<string>): string[] {
  return Object.keys(contract.services).flatMap((name) => {
    const deployment = findObject<IDeployment>(objects, 'Deployment', name);
    const container = deployment && podSpec(deployment).containers.find((candidate) => candidate.name === name);
    if (!container) return [];
    return unread(`${describe(deployment)} container ${name}`, containerEnvironment(objects, container).keys(), known);
  });
}

/** Problems with the variable names the example services get in the Compose file. */
export function checkComposeEnvironmentNames(
  compose: ComposeFile,
  contract: Contract,
  known: ReadonlySet<string>,
): string[] {
  return Object.keys(contract.services).flatMap((name) => {
    const service = compose.services[name];
    return service ? unread(`compose service ${name}`, composeEnvironment(service).keys(), known) : [];
  });
}
