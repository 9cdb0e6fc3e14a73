import { SwitchyardError } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { ExitCode } from './cli-error.js';
import { toCliError } from './describe-error.js';

describe('toCliError', () => {
  it("says the registry's data cannot be read for DATA_LOSS, by its code (exit 1)", () => {
    // The registry's DATA_LOSS for a key of the wrong type names the key; its message need not quote
    // Redis's WRONGTYPE. Matched on that word in a REGISTRY_UNAVAILABLE before, such an error read
    // "DATA_LOSS: …", and one without the word came out as an unreachable registry.
    const error = new SwitchyardError(
      'DATA_LOSS',
      "redis://h:6379: list failed: switchyard:{beta}:route holds a list, where the registry keeps a string; clear the route to replace it: switchyard route clear beta (or redis-cli SET 'switchyard:{beta}:route' '')",
    );
    const failure = toCliError(error);
    expect(failure.exitCode).toBe(ExitCode.FAILURE);
    expect(failure.message).toBe(`cannot read the registry's data (a key of the wrong type): ${error.message}`);
  });
});
