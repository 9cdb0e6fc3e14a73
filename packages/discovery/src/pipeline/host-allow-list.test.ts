import { describe, expect, it } from 'vitest';
import { compileAllowedHosts, MAX_REMEMBERED_HOST_WARNINGS } from './host-allow-list.js';

function countingLogger() {
  const warnings: unknown[] = [];
  const logger = {
    debug() {},
    info() {},
    warn: (fields: unknown) => void warnings.push(fields),
    error() {},
    child: () => logger,
  };
  return { logger, warnings };
}

describe('compileAllowedHosts', () => {
  it('warns once per refused instance, while it is remembered', () => {
    const { logger, warnings } = countingLogger();
    const check = compileAllowedHosts(['10.0.0.0/8'], logger as never);
    // Every rebuild of the view runs the check again for every instance.
    for (let rebuild = 0; rebuild < 3; rebuild++) {
      expect(check?.('192.168.1.1', 'outsider')).toBe(false);
      expect(check?.('10.1.2.3', 'insider')).toBe(true);
    }
    expect(warnings).toHaveLength(1);
  });

  it('keeps a bounded memory of refused instances however many distinct ids come and go', () => {
    const { logger, warnings } = countingLogger();
    const check = compileAllowedHosts(['10.0.0.0/8'], logger as never);
    // A refused deployment restarting (or a writer adding entries) brings a new id every time:
    // remembering every one ever warned about grew for as long as the process ran.
    const churn = MAX_REMEMBERED_HOST_WARNINGS * 4;
    for (let index = 0; index < churn; index++) check?.('192.168.1.1', `refused-${index}`);
    expect(warnings).toHaveLength(churn);
    expect(check?.rememberedWarnings).toBeGreaterThan(0);
    expect(check?.rememberedWarnings).toBeLessThanOrEqual(MAX_REMEMBERED_HOST_WARNINGS);
  });
});
