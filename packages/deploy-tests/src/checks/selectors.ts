/**
 * Selectors that schemas cannot check: a Deployment's selector must match its own pod
 * template; every Service and PodDisruptionBudget must select the pods of a Deployment
 * (a typo there leaves a Service without endpoints or a PDB that protects nothing); a
 * Service's target ports must exist on the pods it selects; no pod may be covered by two
 * PDBs (the eviction API refuses to evict such pods).
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IService } from 'kubernetes-models/v1/Service';
import type { KubeObject } from '../objects.js';
import { describe, ofKind, podLabels, podSpec, resolvePort, selectorIsEmpty, selectorMatches } from '../objects.js';

function checkServicePorts(service: IService, deployments: IDeployment[]): string[] {
  const problems: string[] = [];
  for (const port of service.spec?.ports ?? []) {
    const target = port.targetPort ?? port.port;
    for (const deployment of deployments) {
      if (!podSpec(deployment).containers.some((container) => resolvePort(container, target) !== undefined)) {
        problems.push(
          `${describe(service)}: port ${port.name ?? port.port} targets ${target}, which no container of ${describe(deployment)} declares`,
        );
      }
    }
  }
  return problems;
}

/** Problems with selectors and Service ports in one build; none means every selector selects what it should. */
export function checkSelectors(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  const deployments = ofKind<IDeployment>(objects, 'Deployment');

  for (const deployment of deployments) {
    const selector = deployment.spec?.selector;
    if (selectorIsEmpty(selector)) problems.push(`${describe(deployment)}: selector is empty`);
    else if (!selectorMatches(selector, podLabels(deployment))) {
      problems.push(`${describe(deployment)}: selector does not match its pod template labels`);
    }
  }

  for (const service of ofKind<IService>(objects, 'Service')) {
    const selector = service.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) {
      problems.push(`${describe(service)}: has no selector`);
      continue;
    }
    const selected = deployments.filter((deployment) =>
      selectorMatches({ matchLabels: selector }, podLabels(deployment)),
    );
    if (selected.length === 0) problems.push(`${describe(service)}: selector matches no Deployment's pods`);
    problems.push(...checkServicePorts(service, selected));
  }

  const coveredBy = new Map<IDeployment, string[]>();
  for (const budget of ofKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget')) {
    const selector = budget.spec?.selector;
    if (selectorIsEmpty(selector)) {
      problems.push(`${describe(budget)}: selector is empty (it would cover every pod in the namespace)`);
      continue;
    }
    const selected = deployments.filter((deployment) => selectorMatches(selector, podLabels(deployment)));
    if (selected.length === 0) problems.push(`${describe(budget)}: selector matches no Deployment's pods`);
    for (const deployment of selected)
      coveredBy.set(deployment, [...(coveredBy.get(deployment) ?? []), describe(budget)]);
  }
  for (const [deployment, budgets] of coveredBy) {
    if (budgets.length > 1)
      problems.push(`${describe(deployment)}: pods covered by several PDBs (${budgets.join(', ')})`);
  }
  return problems;
}
