/**
 * The shutdown budget. On SIGTERM the SDK marks the instance draining, waits
 * SWITCHYARD_DRAIN_DELAY_MS, deregisters, finishes in-flight calls within
 * SWITCHYARD_SHUTDOWN_GRACE_MS, then closes and flushes telemetry. The kubelet runs preStop
 * first and sends SIGKILL terminationGracePeriodSeconds after the pod started terminating,
 * so for every container that loads the SDK's configuration:
 *
 *   terminationGracePeriodSeconds × 1000 ≥ preStop + drain delay + shutdown grace + margin
 *
 * The delays are read from the container's effective environment (ConfigMap, then `env`).
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { CONFIG_MAP_NAME } from '../contract.js';
import type { KubeObject } from '../objects.js';
import { containerEnvironment, describe, isGeneratedName, ofKind, podSpec } from '../objects.js';

/** Time left after the shutdown grace period to close servers and flush telemetry. */
export const MIN_SHUTDOWN_MARGIN_MS = 5_000;

/** How long a preStop hook holds the container before SIGTERM, in ms; a string when it cannot be known. */
export function preStopMs(container: IContainer): number | string {
  const preStop = container.lifecycle?.preStop;
  if (!preStop) return 0;
  if (preStop.sleep) return preStop.sleep.seconds * 1000;
  return 'preStop is not a `sleep` action, so its duration cannot be checked';
}

function milliseconds(value: string | undefined): number | undefined {
  return value !== undefined && /^[0-9]+$/.test(value) ? Number(value) : undefined;
}

/** Problems with the shutdown budget of one build; none means no pod is killed mid-drain. */
export function checkDrainTiming(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  for (const deployment of ofKind<IDeployment>(objects, 'Deployment')) {
    const pod = podSpec(deployment);
    for (const container of pod.containers) {
      if (!container.envFrom?.some((source) => isGeneratedName(source.configMapRef?.name, CONFIG_MAP_NAME))) continue;
      const where = `${describe(deployment)} container ${container.name}`;
      const environment = containerEnvironment(objects, container);
      const drainMs = milliseconds(environment.get('SWITCHYARD_DRAIN_DELAY_MS'));
      const graceMs = milliseconds(environment.get('SWITCHYARD_SHUTDOWN_GRACE_MS'));
      const hookMs = preStopMs(container);
      if (drainMs === undefined) problems.push(`${where}: SWITCHYARD_DRAIN_DELAY_MS is not a whole number of ms`);
      if (graceMs === undefined) problems.push(`${where}: SWITCHYARD_SHUTDOWN_GRACE_MS is not a whole number of ms`);
      if (typeof hookMs === 'string') problems.push(`${where}: ${hookMs}`);
      if (pod.terminationGracePeriodSeconds === undefined) {
        problems.push(`${describe(deployment)}: terminationGracePeriodSeconds is not set explicitly`);
      }
      if (drainMs === undefined || graceMs === undefined || typeof hookMs === 'string') continue;
      const neededMs = hookMs + drainMs + graceMs + MIN_SHUTDOWN_MARGIN_MS;
      const allowedMs = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
      if (allowedMs < neededMs) {
        problems.push(
          `${where}: terminationGracePeriodSeconds ${allowedMs / 1000} s < preStop ${hookMs} ms + drain ${drainMs} ms + grace ${graceMs} ms + margin ${MIN_SHUTDOWN_MARGIN_MS} ms`,
        );
      }
    }
  }
  return problems;
}
