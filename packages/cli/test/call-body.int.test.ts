/**
 * `switchyard call`'s request body: `null` is JSON but not a request. A unary call takes an object,
 * a client-streaming one an array (README); only an absent body defaults to `{}` / `[]`. `null`
 * (e.g. from `$(jq …)` on a missing key) is a usage error before anything is sent, as `5` is.
 */
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../src/test-support/run-cli-in-process.js';
import { protosDir, callSay } from './fixtures/echo-fleet.js';

// Nothing may need the registry: a usage error comes before any lookup.
const env = { SWITCHYARD_REGISTRY_URL: 'redis://127.0.0.1:1' };

describe('switchyard call with a null request body', { timeout: 60_000 }, () => {
  it('refuses null for a unary method as a usage error (exit 2), as it refuses 5 or an array', async () => {
    // Before: `json ?? {}` sent null as an empty request (here: exit 1, the registry lookup failed).
    const number = await runCliInProcess(callSay('echo', '5'), env);
    expect(number.code).toBe(2);
    const nul = await runCliInProcess(callSay('echo', 'null'), env);
    expect({ code: nul.code, stderr: nul.stderr }).toEqual({
      code: 2,
      stderr: expect.stringMatching(/JSON object, got null/),
    });
  });

  it('refuses null for a client-streaming method (it wants a JSON array)', async () => {
    // Before: `json ?? []` sent null as an empty stream of requests.
    const result = await runCliInProcess(
      [
        'call',
        'echo',
        'switchyard.echo.v1.EchoStreams/Collect',
        'null',
        '--proto',
        'switchyard/echo/v1/echo_streams.proto',
        '-I',
        protosDir,
      ],
      env,
    );
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 2,
      stderr: expect.stringMatching(/JSON array of objects.*got null/),
    });
  });
});
