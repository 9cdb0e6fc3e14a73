import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageOf, summarizeProfile } from './profile.js';

describe('packageOf', () => {
  it('names workspace packages, node_modules packages (scoped or not), node internals and pseudo-frames', () => {
    expect(packageOf('file:///work/main/packages/grpc/dist/index.js', 'attempt')).toBe('@switchyard/grpc');
    expect(packageOf('file:///work/main/packages/bench/dist/grpc/worker.js', 'call')).toBe(
      '@switchyard/bench (harness)',
    );
    expect(
      packageOf(
        'file:///w/node_modules/.pnpm/@grpc+grpc-js@1.14.7/node_modules/@grpc/grpc-js/build/src/client.js',
        'f',
      ),
    ).toBe('@grpc/grpc-js');
    expect(packageOf('/w/node_modules/.pnpm/undici@6.29.1/node_modules/undici/lib/core/request.js', 'f')).toBe(
      'undici',
    );
    expect(packageOf('node:internal/http2/core', 'request')).toBe('node');
    expect(packageOf('wasm://wasm/0002f80e', 'wasm-function[20]')).toBe('wasm (llhttp)');
    expect(packageOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(packageOf('', 'writev')).toBe('(native)');
  });
});

describe('summarizeProfile', () => {
  it('sums self time per function and package, idle excluded', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4] },
        { id: 2, callFrame: frame('makeUnaryRequest', 'file:///x/node_modules/@grpc/grpc-js/build/src/client.js') },
        { id: 3, callFrame: frame('(idle)', '') },
        { id: 4, callFrame: frame('request', 'node:internal/http2/core') },
      ],
      startTime: 0,
      endTime: 100,
      // Sample i lasts timeDeltas[i + 1]; the last one until endTime.
      samples: [2, 3, 4, 2],
      timeDeltas: [0, 30, 20, 10],
    };
    const file = join(mkdtempSync(join(tmpdir(), 'bench-profile-')), 'p.cpuprofile');
    writeFileSync(file, JSON.stringify(profile));
    const summary = summarizeProfile(file);
    // grpc-js: 30 µs (first sample) + 40 µs (last, until endTime 100 − 60); node: 10 µs; idle (20 µs) left out.
    expect(summary.busyMs).toBeCloseTo(0.08, 6);
    expect(summary.byPackage.map((row) => [row.package, row.selfMs])).toEqual([
      ['@grpc/grpc-js', 0.07],
      ['node', 0.01],
    ]);
    expect(summary.top[0]?.name).toBe('makeUnaryRequest');
    expect(summary.topSwitchyard).toEqual([]);
  });
});
