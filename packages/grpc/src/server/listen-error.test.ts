import { describe, expect, it } from 'vitest';
import { listenError } from './listen-error.js';

/** grpc-js's report of a bind that failed on every address it resolved (server.js, bindAddressList). */
const grpcReport = (...errors: string[]) =>
  new Error(`No address added out of total ${errors.length} resolved errors: [${errors.join(',')}]`);

describe('listenError', () => {
  it('names port when the port is taken on any address, host when no address is this machine’s', () => {
    const mixed = listenError(
      grpcReport(
        'listen EADDRNOTAVAIL: address not available ::1',
        'listen EADDRINUSE: address already in use 127.0.0.1:4000',
      ),
      'localhost',
      4000,
      'localhost:4000',
    );
    expect(mixed).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'port' });
    expect(mixed.cause).toMatchObject({
      code: 'EADDRINUSE',
      syscall: 'listen',
      message: 'listen EADDRINUSE: address already in use 127.0.0.1:4000',
    });
    const host = listenError(grpcReport('listen EAFNOSUPPORT: address family not supported ::1'), '::1', 0, '[::1]:0');
    expect(host).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'host' });
    expect(host.cause).toMatchObject({ code: 'EAFNOSUPPORT', address: '::1', port: 0 });
    // A link-local address without its interface (fe80::1, not fe80::1%eth0): it was UNKNOWN.
    const scopeless = listenError(grpcReport('listen EINVAL: invalid argument fe80::1'), 'fe80::1', 0, '[fe80::1]:0');
    expect(scopeless).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'host' });
    expect(scopeless.cause).toMatchObject({ code: 'EINVAL', syscall: 'listen', address: 'fe80::1', port: 0 });
  });

  it('is UNKNOWN, blaming no setting, for a failure it cannot place', () => {
    const error = listenError(grpcReport('listen EMFILE: too many open files'), '127.0.0.1', 1, '127.0.0.1:1');
    expect(error).toMatchObject({ code: 'UNKNOWN' });
    expect(error.cause).toMatchObject({ code: 'EMFILE' });
    expect(listenError(new Error('something else'), '127.0.0.1', 1, '127.0.0.1:1')).toMatchObject({ code: 'UNKNOWN' });
  });
});
