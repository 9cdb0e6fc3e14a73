import { afterEach, describe, expect, it, vi } from 'vitest';
import { runService } from './run-service.js';

afterEach(() => vi.restoreAllMocks());

describe('runService', () => {
  it.each([
    ['undefined', undefined, 'reco: failed to start: undefined\n'],
    ['null', null, 'reco: failed to start: null\n'],
    ['a string', 'no catalog', 'reco: failed to start: no catalog\n'],
  ])('exits with one line when the start function rejects with %s', async (_label, reason, line) => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // A rejection with no object used to crash reading its `code`: a TypeError and a stack trace.
    await runService(() => Promise.reject(reason), 'reco');
    expect(write).toHaveBeenCalledWith(line);
    expect(exit).toHaveBeenCalledWith(1);
  });
});
