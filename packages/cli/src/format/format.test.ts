import { describe, expect, it } from 'vitest';
import { formatDuration } from './duration.js';
import { formatAddress } from './instance.js';
import { formatTable, terminalSafe } from './table.js';

describe('output formatting', () => {
  it('aligns columns and leaves the last one unpadded', () => {
    expect(
      formatTable(
        ['id', 'status'],
        [
          ['a-long-id', 'up'],
          ['b', 'draining'],
        ],
      ),
    ).toBe('ID         STATUS\na-long-id  up\nb          draining');
  });

  it('escapes control characters so registry data cannot drive the terminal', () => {
    expect(terminalSafe('ok\u001b[31mred\u0007\n')).toBe('ok\\u{1b}[31mred\\u{7}\\u{a}');
    expect(formatTable(['id'], [['\u001b]0;pwned\u0007']])).not.toContain('\u001b');
  });

  it.each([
    [undefined, '-'],
    [12.4, '12ms'],
    [42_000, '42s'],
    [312_000, '5m12s'],
    [3 * 3_600_000 + 5 * 60_000, '3h05m'],
    [2 * 86_400_000 + 4 * 3_600_000, '2d04h'],
  ])('formats %s ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('shows every named port of an address, IPv6 in brackets', () => {
    expect(formatAddress({ host: '10.0.0.7', ports: { grpc: 50051, http: 8080 } })).toBe(
      '10.0.0.7:50051/grpc,8080/http',
    );
    expect(formatAddress({ host: '::1', ports: { grpc: 1 } })).toBe('[::1]:1/grpc');
  });
});
