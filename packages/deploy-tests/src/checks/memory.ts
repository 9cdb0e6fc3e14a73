/**
 * Memory of the example services against what their images use (services.json `memory`): a
 * request below the resident footprint lets the scheduler overcommit the node and makes the pod
 * the first one the kubelet evicts under memory pressure (it uses more than it asked for); a limit
 * too close to it gets the container OOM-killed as soon as it serves some load.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { Contract } from '../contract.js';
import type { KubeObject } from '../objects.js';
import { describe, findObject, podSpec } from '../objects.js';
import { parseQuantity } from '../quantity.js';

/** Problems with the memory of the contract's services in one build. */
export function checkServiceMemory(objects: KubeObject[], contract: Contract): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(contract.services)) {
    const deployment = findObject<IDeployment>(objects, 'Deployment', name);
    const container = deployment && podSpec(deployment).containers.find((candidate) => candidate.name === name);
    if (!deployment || !container) {
      problems.push(`Deployment/${name}: no container ${name}`);
      continue;
    }
    const where = `${describe(deployment)} container ${name}`;
    for (const kind of ['request', 'limit'] as const) {
      const given = (kind === 'request' ? container.resources?.requests : container.resources?.limits)?.memory;
      const actual = parseQuantity(given);
      const least = parseQuantity(contract.memory[kind]);
      if (actual === undefined || least === undefined || actual < least)
        problems.push(
          `${where}: memory ${kind} ${given ?? 'unset'} is below ${contract.memory[kind]}, what the image needs (services.json memory)`,
        );
    }
  }
  return problems;
}
