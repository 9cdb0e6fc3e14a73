/**
 * The shutdown budget. On SIGTERM the SDK (packages/service, `stop()`) marks the instance
 * draining, waits SWITCHYARD_DRAIN_DELAY_MS, deregisters, finishes in-flight calls within
 * SWITCHYARD_SHUTDOWN_GRACE_MS, closes its servers, then runs the service's `onStop` (given
 * the shutdown grace again, at least 1 s) and flushes telemetry (an export to a collector that
 * is gone or slow takes up to the OTLP timeout). The kubelet runs preStop first and sends
 * SIGKILL terminationGracePeriodSeconds after the pod started terminating, so for every
 * container that loads the SDK's configuration:
 *
 *   terminationGracePeriodSeconds × 1000 ≥ preStop + drain delay + shutdown grace
 *                                           + onStop + telemetry flush + margin
 *
 * onStop is counted for every service: a manifest cannot tell whether its image has one (catalog
 * and search do). The delays are read from the container's effective environment (ConfigMap,
 * then `env`).
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { CONFIG_MAP_NAME } from '../contract.js';
import type { KubeObject } from '../objects.js';
import { containerEnvironment, describe, isGeneratedName, ofKind, podSpec } from '../objects.js';

/** Time left after everything below for what is not bounded on its own (registry commands, closing clients). */
export const MIN_SHUTDOWN_MARGIN_MS = 5_000;

/** The least time the SDK gives `onStop`, whatever the shutdown grace (packages/service). */
export const ON_STOP_MIN_MS = 1_000;

/** The OTLP export timeout when neither OTEL_EXPORTER_OTLP_TRACES_TIMEOUT nor OTEL_EXPORTER_OTLP_TIMEOUT is set. */
export const DEFAULT_OTLP_TIMEOUT_MS = 10_000;

/** The time `onStop` may take: the shutdown grace, at least {@link ON_STOP_MIN_MS}. */
export function onStopMs(graceMs: number): number {
  return Math.max(graceMs, ON_STOP_MIN_MS);
}

/**
 * How long flushing telemetry may take at the end of a stop, in ms, from a container's
 * environment: 0 without an OTLP exporter, else the traces timeout (OTEL_EXPORTER_OTLP_TRACES_TIMEOUT,
 * then OTEL_EXPORTER_OTLP_TIMEOUT, then 10 s), which bounds `shutdown()` whatever the collector
 * does (packages/tracing). The exporter is OTEL_TRACES_EXPORTER (a comma-separated list), and
 * when that is unset, `otlp` if an OTLP endpoint is set, as the SDK chooses it. A string when the
 * timeout is not a whole number of ms.
 */
export function telemetryFlushMs(environment: Map<string, string | undefined>): number | string {
  const setting = (name: string) => {
    const value = environment.get(name)?.trim();
    return value ? value : undefined;
  };
  const exporters = setting('OTEL_TRACES_EXPORTER');
  const otlp =
    exporters !== undefined
      ? exporters.split(',').some((name) => name.trim() === 'otlp')
      : setting('OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ||
        setting('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined;
  if (!otlp) return 0;
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT']) {
    const value = setting(name);
    if (value === undefined) continue;
    return milliseconds(value) ?? `${name} is not a whole number of ms`;
  }
  return DEFAULT_OTLP_TIMEOUT_MS;
}

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
      const flushMs = telemetryFlushMs(environment);
      if (drainMs === undefined) problems.push(`${where}: SWITCHYARD_DRAIN_DELAY_MS is not a whole number of ms`);
      if (graceMs === undefined) problems.push(`${where}: SWITCHYARD_SHUTDOWN_GRACE_MS is not a whole number of ms`);
      if (typeof hookMs === 'string') problems.push(`${where}: ${hookMs}`);
      if (typeof flushMs === 'string') problems.push(`${where}: ${flushMs}`);
      if (pod.terminationGracePeriodSeconds === undefined) {
        problems.push(`${describe(deployment)}: terminationGracePeriodSeconds is not set explicitly`);
      }
      if (drainMs === undefined || graceMs === undefined || typeof hookMs === 'string' || typeof flushMs === 'string')
        continue;
      const stopMs = onStopMs(graceMs);
      const neededMs = hookMs + drainMs + graceMs + stopMs + flushMs + MIN_SHUTDOWN_MARGIN_MS;
      const allowedMs = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
      if (allowedMs < neededMs) {
        problems.push(
          `${where}: terminationGracePeriodSeconds ${allowedMs / 1000} s < preStop ${hookMs} ms + drain ${drainMs} ms + grace ${graceMs} ms + onStop ${stopMs} ms + telemetry flush ${flushMs} ms + margin ${MIN_SHUTDOWN_MARGIN_MS} ms`,
        );
      }
    }
  }
  return problems;
}
