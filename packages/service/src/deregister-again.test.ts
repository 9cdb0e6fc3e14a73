import { RegistryUnavailableError } from '@switchyard/core';
import type { Registration } from '@switchyard/registry';
import { describe, expect, it } from 'vitest';
import { deregisterAgain } from './deregister-again.js';

/** A registration whose deregister() answers from `replies` in turn (the last one repeats). */
function registrationAnswering(...replies: (Error | undefined)[]): Registration & { calls: number } {
  const fake = {
    calls: 0,
    deregister: () => {
      const reply = replies[Math.min(fake.calls++, replies.length - 1)];
      return reply === undefined ? Promise.resolve() : Promise.reject(reply);
    },
  };
  return fake as unknown as Registration & { calls: number };
}

function recordingLogger() {
  const said: string[] = [];
  const record = (_fields: unknown, message?: string) => said.push(message ?? '');
  return { said, logger: { debug: record, info: record, warn: record, error: record } };
}

const graceEnds = () => Date.now() + 5_000;

describe('deregisterAgain', () => {
  it('tries again a removal the registry says it never sent, however long it took to fail (a stalled event loop)', async () => {
    const registration = registrationAnswering(undefined);
    const { said, logger } = recordingLogger();
    const notSent = new RegistryUnavailableError('not connected', { notSent: true });
    await deregisterAgain(registration, notSent, 400, graceEnds(), logger);
    expect(registration.calls).toBe(1);
    expect(said.at(-1)).toBe('deregistered on a retry');
  });

  it('keeps trying while the tries are refused unsent, until one goes through', async () => {
    const notSent = new RegistryUnavailableError('not connected', { notSent: true });
    const registration = registrationAnswering(notSent, notSent, undefined);
    const { said, logger } = recordingLogger();
    await deregisterAgain(registration, notSent, 400, graceEnds(), logger);
    expect(registration.calls).toBe(3);
    expect(said.at(-1)).toBe('deregistered on a retry');
  });

  it('does not send again a removal that failed slowly with no word from the registry (it may have been sent)', async () => {
    const registration = registrationAnswering(undefined);
    const { said, logger } = recordingLogger();
    await deregisterAgain(registration, new RegistryUnavailableError('timed out'), 400, graceEnds(), logger);
    expect(registration.calls).toBe(0);
    expect(said).toEqual(['could not deregister; the entry expires by its TTL']);
  });

  it('tries again one that failed at once, and never one whose registry is closed', async () => {
    const quick = registrationAnswering(undefined);
    await deregisterAgain(quick, new RegistryUnavailableError('reset'), 3, graceEnds(), recordingLogger().logger);
    expect(quick.calls).toBe(1);
    const closed = registrationAnswering(undefined);
    const closedError = Object.assign(new RegistryUnavailableError('closed', { notSent: true }), {
      registryClosed: true,
    });
    await deregisterAgain(closed, closedError, 3, graceEnds(), recordingLogger().logger);
    expect(closed.calls).toBe(0);
  });
});
