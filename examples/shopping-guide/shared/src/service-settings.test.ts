import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceSettings } from './service-settings.js';

// A manifest of its own, so the version fallback provably reads the URL it is given.
const dir = mkdtempSync(join(tmpdir(), 'service-settings-'));
const manifest = pathToFileURL(join(dir, 'package.json'));
writeFileSync(manifest, JSON.stringify({ name: 'some-service', version: '7.8.9' }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('serviceSettings', () => {
  it('defaults to port 50051, the package version and no metadata', () => {
    expect(serviceSettings(manifest, {})).toEqual({ version: '7.8.9', grpcPort: 50051, metadata: undefined });
    expect(serviceSettings(manifest, { GRPC_PORT: '' }).grpcPort).toBe(50051);
  });

  it('takes GRPC_PORT, 0 included (any free port)', () => {
    expect(serviceSettings(manifest, { GRPC_PORT: '6000' }).grpcPort).toBe(6000);
    expect(serviceSettings(manifest, { GRPC_PORT: '0' }).grpcPort).toBe(0);
  });

  it.each(['abc', '1.5', '-1', '65536', ' ', '0x10', '1e3'])(
    'rejects GRPC_PORT=%s with INVALID_ARGUMENT naming it',
    (value) => {
      expect(() => serviceSettings(manifest, { GRPC_PORT: value })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'GRPC_PORT' }),
      );
    },
  );

  it('prefers SWITCHYARD_VERSION and reads no manifest then', () => {
    const missing = pathToFileURL(join(dir, 'missing.json'));
    expect(serviceSettings(missing, { SWITCHYARD_VERSION: '1.2.3' }).version).toBe('1.2.3');
  });

  it('puts SWITCHYARD_TRACK into metadata', () => {
    expect(serviceSettings(manifest, { SWITCHYARD_TRACK: 'b' }).metadata).toEqual({ track: 'b' });
    expect(serviceSettings(manifest, { SWITCHYARD_TRACK: 'exp-2.b_1' }).metadata).toEqual({ track: 'exp-2.b_1' });
    expect(serviceSettings(manifest, { SWITCHYARD_TRACK: '' }).metadata).toBeUndefined();
  });

  // An instance with a track serves only requests of that track, and a request's track (baggage
  // `switchyard.track`, the gateway's x-switchyard-track) is only ever one of these characters: a
  // deployment registered as `b ` (a stray space in YAML) or `exp/b` got no traffic at all, silently.
  it.each(['b ', ' b', 'exp/b', 'b,c', 'b=1', 'ü', 'x'.repeat(65)])(
    'rejects SWITCHYARD_TRACK=%j, a track no request can carry, with INVALID_ARGUMENT naming it',
    (value) => {
      expect(() => serviceSettings(manifest, { SWITCHYARD_TRACK: value })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'SWITCHYARD_TRACK' }),
      );
    },
  );
});
