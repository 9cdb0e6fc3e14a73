/**
 * The registry's password: Redis asks for it (`--requirepass` from the Secret), and every
 * example service gets it from the same Secret and key, in Kubernetes and in Compose. Without
 * it, anything that can reach Redis can register an instance and draw traffic to it.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { ComposeFile } from '../compose-file.js';
import type { Contract } from '../contract.js';
import type { KubeObject } from '../objects.js';
import { describe, findObject, ofKind, podSpec } from '../objects.js';
import { composeEnvironment } from './compose.js';

/**
 * The Secret a build's pods must read the password from: the generated one (`<secret>-<hash>`)
 * when the build has it, else the contract's name, which the operator creates.
 */
function expectedSecretName(objects: KubeObject[], contract: Contract): string {
  const { secret } = contract.registryAuth;
  const generated = ofKind<ISecret>(objects, 'Secret').find(
    (candidate) =>
      candidate.metadata?.name === secret || new RegExp(`^${secret}-[a-z0-9]+$`).test(candidate.metadata?.name ?? ''),
  );
  return generated?.metadata?.name ?? secret;
}

function checkFromSecret(
  where: string,
  container: IContainer,
  variable: string,
  secret: string,
  key: string,
): string[] {
  const entry = container.env?.find((candidate) => candidate.name === variable);
  const reference = entry?.valueFrom?.secretKeyRef;
  if (!reference) return [`${where}: ${variable} does not come from Secret/${secret}`];
  const problems: string[] = [];
  if (reference.name !== secret || reference.key !== key)
    problems.push(
      `${where}: ${variable} comes from Secret/${reference.name} key ${reference.key}, expected Secret/${secret} key ${key}`,
    );
  // optional: a pod that starts without the password fails later and less clearly.
  if (reference.optional) problems.push(`${where}: ${variable}'s Secret is optional`);
  return problems;
}

/** Problems with the registry's password in one kustomize build. */
export function checkRegistryAuth(objects: KubeObject[], contract: Contract): string[] {
  const { key, variable, redisVariable } = contract.registryAuth;
  const secret = expectedSecretName(objects, contract);
  const problems: string[] = [];
  for (const deployment of ofKind<IDeployment>(objects, 'Deployment')) {
    const name = deployment.metadata?.name ?? '';
    const container = podSpec(deployment).containers[0];
    if (!container) continue;
    const where = `${describe(deployment)} container ${container.name}`;
    if (name in contract.services) problems.push(...checkFromSecret(where, container, variable, secret, key));
    if (name !== 'redis') continue;
    problems.push(...checkFromSecret(where, container, redisVariable, secret, key));
    const command = [...(container.command ?? []), ...(container.args ?? [])];
    const flag = command.indexOf('--requirepass');
    if (flag < 0 || command[flag + 1] !== `$(${redisVariable})`)
      problems.push(`${where}: does not run with --requirepass $(${redisVariable})`);
  }
  if (!findObject(objects, 'Deployment', 'redis')) problems.push('Deployment/redis: missing');
  return problems;
}

/** Problems with the registry's password in the Compose file. */
export function checkComposeRegistryAuth(compose: ComposeFile, contract: Contract): string[] {
  const { variable, redisVariable } = contract.registryAuth;
  const interpolated = new RegExp(`^\\$\\{${variable}(:?[?-][^}]*)?\\}$`);
  const problems: string[] = [];
  for (const name of Object.keys(contract.services)) {
    const service = compose.services[name];
    if (service && !interpolated.test(composeEnvironment(service).get(variable) ?? ''))
      problems.push(`compose service ${name}: ${variable} is not \${${variable}}`);
  }
  const redis = compose.services.redis;
  if (!redis) return [...problems, 'compose: service redis missing'];
  const command = Array.isArray(redis.command) ? redis.command : String(redis.command ?? '').split(/\s+/);
  const flag = command.indexOf('--requirepass');
  if (flag < 0 || !interpolated.test(String(command[flag + 1] ?? '')))
    problems.push(`compose service redis: does not run with --requirepass \${${variable}}`);
  if (!interpolated.test(composeEnvironment(redis).get(redisVariable) ?? ''))
    problems.push(`compose service redis: ${redisVariable} is not \${${variable}} (its health check needs it)`);
  return problems;
}
