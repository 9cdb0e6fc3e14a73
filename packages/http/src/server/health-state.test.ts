import { createHealthState } from '@switchyard/http';
import { describe, expect, it } from 'vitest';

describe('createHealthState', () => {
  it('is serving while ready and not draining; draining is for good', () => {
    const health = createHealthState();
    expect(health.serving).toBe(true);
    health.setReady(false);
    expect(health.serving).toBe(false);
    expect(String(health)).toBe('HealthState(not ready)');
    health.setReady(true);
    health.drain();
    expect(health.serving).toBe(false);
    expect(health.draining).toBe(true);
    health.setReady(true);
    expect(health.serving).toBe(false);
    expect(String(health)).toBe('HealthState(draining)');
  });

  it('can start not ready, and rejects bad input naming the field', () => {
    expect(createHealthState({ ready: false }).serving).toBe(false);
    expect(() => createHealthState({ redy: true } as never)).toThrow(/options\.redy: unknown option/);
    expect(() => createHealthState().setReady('yes' as never)).toThrow(/ready: must be a boolean/);
  });
});
