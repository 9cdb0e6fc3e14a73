import { describe, expect, it } from 'vitest';
import { countEjections, type EjectionSource } from './ejection-count.js';

/** A discovery stand-in that counts its ejection listeners. */
function source(): EjectionSource & { listeners: number } {
  const fake = {
    service: 'catalog',
    listeners: 0,
    onEjection() {
      fake.listeners++;
      return { dispose: () => fake.listeners-- };
    },
  };
  return fake;
}

describe('countEjections', () => {
  it('listens once per discovery while any client holds it, and stops with the last release', () => {
    const discovery = source();
    const releaseGrpc = countEjections(discovery);
    const releaseHttp = countEjections(discovery);
    expect(discovery.listeners).toBe(1);
    releaseGrpc();
    releaseGrpc(); // a second release of the same client changes nothing
    expect(discovery.listeners).toBe(1);
    releaseHttp();
    expect(discovery.listeners).toBe(0);
    const again = countEjections(discovery);
    expect(discovery.listeners).toBe(1);
    again();
    expect(discovery.listeners).toBe(0);
  });
});
