import { describe, expect, it } from 'vitest';
import { resolveServerOptions } from './server-options.js';

describe('resolveServerOptions: healthPaths', () => {
  it('keeps the default of each path given as undefined, as every other option does', () => {
    // Before the fix: INVALID_ARGUMENT options.healthPaths.ready 'must be a path starting with "/"'.
    const ready = resolveServerOptions({ healthPaths: { ready: undefined } }, 'options');
    expect([ready.livePath, ready.readyPath]).toEqual(['/healthz', '/readyz']);
    const live = resolveServerOptions({ healthPaths: { live: undefined, ready: '/ready' } }, 'options');
    expect([live.livePath, live.readyPath]).toEqual(['/healthz', '/ready']);
    const both = resolveServerOptions({ healthPaths: { live: undefined, ready: undefined } }, 'options');
    expect([both.livePath, both.readyPath]).toEqual(['/healthz', '/readyz']);
    const whole = resolveServerOptions({ healthPaths: undefined }, 'options');
    expect([whole.livePath, whole.readyPath]).toEqual(['/healthz', '/readyz']);
  });

  it('still refuses a bad path, naming the field', () => {
    for (const [paths, field] of [
      [{ ready: null }, 'options.healthPaths.ready'],
      [{ live: '' }, 'options.healthPaths.live'],
      [{ live: 'healthz' }, 'options.healthPaths.live'],
      [{ ready: '/readyz?x=1' }, 'options.healthPaths.ready'],
      [{ ready: 7 }, 'options.healthPaths.ready'],
      [{ ready: '/healthz' }, 'options.healthPaths.ready'],
      [{ other: '/x' }, 'options.healthPaths.other'],
      ['/healthz', 'options.healthPaths'],
      [null, 'options.healthPaths'],
    ] as const) {
      expect(() => resolveServerOptions({ healthPaths: paths as never }, 'options'), JSON.stringify(paths)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
      );
    }
  });
});
