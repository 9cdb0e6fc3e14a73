import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { describe, expect, it } from 'vitest';
import { buildOverlay, OVERLAYS, pick, sharedConfig } from './builds.js';
import { checkDrainTiming, MIN_SHUTDOWN_MARGIN_MS, preStopMs } from './checks/drain-timing.js';
import type { KubeObject } from './objects.js';

function pod(objects: KubeObject[], name: string) {
  return pick<IDeployment>(objects, 'Deployment', name).spec!.template.spec!;
}

describe('shutdown budget', () => {
  it.each(OVERLAYS)(
    'terminationGracePeriodSeconds covers preStop + drain delay + grace + onStop + flush in overlays/%s',
    (overlay) => {
      expect(checkDrainTiming(buildOverlay(overlay))).toEqual([]);
    },
  );

  it('uses the values the services are deployed with: 2 s preStop, 5 s drain, 10 s grace, 45 s', () => {
    const objects = buildOverlay('local');
    const data = sharedConfig(objects).data!;
    expect([data.SWITCHYARD_DRAIN_DELAY_MS, data.SWITCHYARD_SHUTDOWN_GRACE_MS]).toEqual(['5000', '10000']);
    for (const name of ['gateway', 'catalog', 'recommendation', 'search', 'orders']) {
      expect(preStopMs(pod(objects, name).containers[0]!)).toBe(2000);
      expect(pod(objects, name).terminationGracePeriodSeconds).toBe(45);
    }
    // preStop + drain + grace + onStop (the grace again) + flush (the default OTLP timeout) + margin.
    expect(2000 + 5000 + 10000 + 10000 + 10000 + MIN_SHUTDOWN_MARGIN_MS).toBeLessThanOrEqual(45_000);
  });

  it('counts what the SDK runs after the grace: onStop (its own shutdown grace) and the telemetry flush (the OTLP timeout)', () => {
    // stop(): preStop → drain delay → calls in flight (grace) → onStop, given shutdownGraceMs of
    // its own (at least 1 s; catalog and search have one) → telemetry flush, which an export to a
    // collector that is gone or slow holds for OTEL_EXPORTER_OTLP_TIMEOUT (10 s by default).
    // 30 s left a catalog pod whose calls took the grace SIGKILLed in the middle of its onStop,
    // its spans never flushed.
    const local = buildOverlay('local');
    pod(local, 'catalog').terminationGracePeriodSeconds = 30;
    expect(checkDrainTiming(local)).toEqual([
      'Deployment/catalog container catalog: terminationGracePeriodSeconds 30 s < preStop 2000 ms + drain 5000 ms + grace 10000 ms + onStop 10000 ms + telemetry flush 10000 ms + margin 5000 ms',
    ]);
    // Production has tracing off (OTEL_TRACES_EXPORTER=none): nothing to flush, but onStop still runs.
    const production = buildOverlay('production');
    pod(production, 'search').terminationGracePeriodSeconds = 30;
    expect(checkDrainTiming(production)).toEqual([
      'Deployment/search container search: terminationGracePeriodSeconds 30 s < preStop 2000 ms + drain 5000 ms + grace 10000 ms + onStop 10000 ms + telemetry flush 0 ms + margin 5000 ms',
    ]);
  });

  it('reads the flush from the OTLP timeouts and the exporter, and gives onStop its 1 s least', () => {
    const objects = buildOverlay('local');
    sharedConfig(objects).data!.OTEL_EXPORTER_OTLP_TIMEOUT = '20000';
    pod(objects, 'orders').containers[0]!.env!.push({ name: 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', value: '3000' });
    expect(checkDrainTiming(objects)).toHaveLength(4);
    expect(checkDrainTiming(objects)).not.toContainEqual(expect.stringMatching(/^Deployment\/orders /));

    // Tracing on through the endpoint alone (OTEL_TRACES_EXPORTER unset) exports over OTLP too.
    const production = buildOverlay('production');
    delete sharedConfig(production).data!.OTEL_TRACES_EXPORTER;
    sharedConfig(production).data!.SWITCHYARD_SHUTDOWN_GRACE_MS = '0';
    pod(production, 'gateway').terminationGracePeriodSeconds = 20;
    expect(checkDrainTiming(production)).toEqual([
      'Deployment/gateway container gateway: terminationGracePeriodSeconds 20 s < preStop 2000 ms + drain 5000 ms + grace 0 ms + onStop 1000 ms + telemetry flush 10000 ms + margin 5000 ms',
    ]);
  });

  it('catches a grace period that is too short', () => {
    const objects = buildOverlay('production');
    pod(objects, 'catalog').terminationGracePeriodSeconds = 17;
    delete pod(objects, 'gateway').terminationGracePeriodSeconds;
    expect(checkDrainTiming(objects)).toEqual([
      'Deployment/catalog container catalog: terminationGracePeriodSeconds 17 s < preStop 2000 ms + drain 5000 ms + grace 10000 ms + onStop 10000 ms + telemetry flush 0 ms + margin 5000 ms',
      'Deployment/gateway: terminationGracePeriodSeconds is not set explicitly',
      // Unset is the kubelet's 30 s: too short too.
      'Deployment/gateway container gateway: terminationGracePeriodSeconds 30 s < preStop 2000 ms + drain 5000 ms + grace 10000 ms + onStop 10000 ms + telemetry flush 0 ms + margin 5000 ms',
    ]);
  });

  it('catches a longer grace from the ConfigMap and a per-container override', () => {
    const objects = buildOverlay('local');
    sharedConfig(objects).data!.SWITCHYARD_SHUTDOWN_GRACE_MS = '25000';
    expect(checkDrainTiming(objects)).toHaveLength(5);

    const other = buildOverlay('local');
    pod(other, 'orders').containers[0]!.env!.push({ name: 'SWITCHYARD_DRAIN_DELAY_MS', value: '20000' });
    expect(checkDrainTiming(other)).toEqual([
      expect.stringMatching(/^Deployment\/orders container orders: .*drain 20000 ms/),
    ]);
  });

  it('catches a preStop whose duration cannot be known and a delay that is not a number', () => {
    const objects = buildOverlay('local');
    pod(objects, 'search').containers[0]!.lifecycle = { preStop: { exec: { command: ['sleep', '5'] } } };
    sharedConfig(objects).data!.SWITCHYARD_DRAIN_DELAY_MS = '5s';
    const problems = checkDrainTiming(objects);
    expect(problems).toContain(
      'Deployment/search container search: preStop is not a `sleep` action, so its duration cannot be checked',
    );
    expect(
      problems.filter((problem) => problem.endsWith('SWITCHYARD_DRAIN_DELAY_MS is not a whole number of ms')),
    ).toHaveLength(5);
  });
});
