import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { describe, expect, it } from 'vitest';
import { buildOverlay, OVERLAYS, pick, sharedConfig } from './builds.js';
import { checkDrainTiming, MIN_SHUTDOWN_MARGIN_MS, preStopMs } from './checks/drain-timing.js';
import type { KubeObject } from './objects.js';

function pod(objects: KubeObject[], name: string) {
  return pick<IDeployment>(objects, 'Deployment', name).spec!.template.spec!;
}

describe('shutdown budget', () => {
  it.each(OVERLAYS)('terminationGracePeriodSeconds covers preStop + drain delay + grace in overlays/%s', (overlay) => {
    expect(checkDrainTiming(buildOverlay(overlay))).toEqual([]);
  });

  it('uses the values the services are deployed with: 2 s preStop, 5 s drain, 10 s grace, 30 s', () => {
    const objects = buildOverlay('local');
    const data = sharedConfig(objects).data!;
    expect([data.SWITCHYARD_DRAIN_DELAY_MS, data.SWITCHYARD_SHUTDOWN_GRACE_MS]).toEqual(['5000', '10000']);
    for (const name of ['gateway', 'catalog', 'recommendation', 'search', 'orders']) {
      expect(preStopMs(pod(objects, name).containers[0]!)).toBe(2000);
      expect(pod(objects, name).terminationGracePeriodSeconds).toBe(30);
    }
    expect(2000 + 5000 + 10000 + MIN_SHUTDOWN_MARGIN_MS).toBeLessThanOrEqual(30_000);
  });

  it('catches a grace period that is too short', () => {
    const objects = buildOverlay('production');
    pod(objects, 'catalog').terminationGracePeriodSeconds = 17;
    delete pod(objects, 'gateway').terminationGracePeriodSeconds;
    expect(checkDrainTiming(objects)).toEqual([
      'Deployment/catalog container catalog: terminationGracePeriodSeconds 17 s < preStop 2000 ms + drain 5000 ms + grace 10000 ms + margin 5000 ms',
      'Deployment/gateway: terminationGracePeriodSeconds is not set explicitly',
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
