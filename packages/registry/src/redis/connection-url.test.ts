import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redactUrl } from './connection-url.js';

describe('parseRedisUrl', () => {
  it("keeps a '+' in a Sentinel password (percent-decoding, not form decoding)", () => {
    expect(parseRedisUrl('redis-sentinel://h1:26379/mymaster?sentinelPassword=a+b%2Bc%20d')).toMatchObject({
      kind: 'sentinel',
      sentinelPassword: 'a+b+c d',
    });
  });

  it('refuses a Sentinel db the standalone path would refuse', () => {
    for (const db of ['1e3', '0x10', '1.5', '-1', '', '123456', '99999999999999999999']) {
      expect(() => parseRedisUrl(`redis-sentinel://h1:26379/mymaster?db=${db}`), db).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
      // (An empty path is the default db there; an empty `db=` is refused here.)
      if (db !== '')
        expect(() => parseRedisUrl(`redis://h1:6379/${db}`), db).toThrow(
          expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
        );
    }
    expect(parseRedisUrl('redis-sentinel://h1:26379/mymaster?db=15')).toMatchObject({ db: 15 });
    expect(parseRedisUrl('redis-sentinel://h1:26379/mymaster')).toMatchObject({ db: 0 });
  });

  it("reads an unescaped '@' in a Sentinel or Cluster password as a standalone URL does: up to the last '@'", () => {
    // new URL('redis://:p@ss@h1:6379') (the standalone path, and ioredis) takes the password 'p@ss'.
    expect(parseRedisUrl('redis-sentinel://:p@ss@h1:26379,h2:26379/mymaster')).toMatchObject({
      password: 'p@ss',
      sentinels: [
        { host: 'h1', port: 26379 },
        { host: 'h2', port: 26379 },
      ],
    });
    expect(parseRedisUrl('redis-cluster://app:p@ss@h1:7000')).toMatchObject({
      username: 'app',
      password: 'p@ss',
      nodes: [{ host: 'h1', port: 7000 }],
    });
    // An '@' after the hosts (a query value) is not user info.
    expect(parseRedisUrl('redis-cluster://:pw@h1:7000?tls=true&note=a@b')).toMatchObject({
      password: 'pw',
      nodes: [{ host: 'h1', port: 7000 }],
    });
    expect(parseRedisUrl('redis-sentinel://h1:26379/mymaster?sentinelPassword=a@b')).toMatchObject({
      sentinels: [{ host: 'h1', port: 26379 }],
      sentinelPassword: 'a@b',
    });
  });

  // The Sentinel and Cluster forms read their query themselves, by exact name; anything else was
  // dropped without a word. A Sentinel password spelt `sentinelpassword` (or `SentinelPassword`,
  // which redactUrl masks as a password all the same), `?password=` (which a redis:// URL logs in
  // with), `tls=1` or `TLS=true`, or a Cluster `?db=3`: the client then connected without the
  // password, in plaintext, or on db 0, and failed later with NOAUTH or a reset, far from the cause.
  it('refuses a Sentinel or Cluster query parameter it would drop: a password, TLS or db it does not take', () => {
    const refused = [
      ['redis-sentinel://h1:26379/mymaster?sentinelpassword=s3cret', 'sentinelpassword'],
      ['redis-sentinel://h1:26379/mymaster?SentinelPassword=s3cret', 'SentinelPassword'],
      ['redis-sentinel://h1:26379/mymaster?password=s3cret', 'password'],
      ['redis-sentinel://h1:26379/mymaster?TLS=true', 'TLS'],
      ['redis-sentinel://h1:26379/mymaster?tls=1', 'tls'],
      ['redis-sentinel://h1:26379/mymaster?tls=yes', 'tls'],
      ['redis-cluster://h1:7000?db=3', 'db'],
      ['redis-cluster://h1:7000?sentinelPassword=s3cret', 'sentinelPassword'],
      ['redis-cluster://h1:7000?password=s3cret', 'password'],
      ['redis-cluster://h1:7000?tls=TRUE', 'tls'],
    ] as const;
    for (const [url, parameter] of refused) {
      let thrown: unknown;
      try {
        parseRedisUrl(url);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, url).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'url' });
      const message = (thrown as Error).message;
      expect(message, url).toContain(`"${parameter}"`);
      expect(message, url).not.toContain('s3cret');
    }
    // What they take, and parameters that mean nothing to them, still parse.
    expect(parseRedisUrl('redis-sentinel://h1:26379/mymaster?db=1&sentinelPassword=x&tls=false')).toMatchObject({
      db: 1,
      sentinelPassword: 'x',
      tls: false,
    });
    expect(parseRedisUrl('redis-cluster://h1:7000?tls=false&note=a@b')).toMatchObject({ tls: false });
  });

  it('refuses a db number in a Cluster URL (Cluster has only db 0)', () => {
    for (const path of ['/3', '/mydb', '//']) {
      expect(() => parseRedisUrl(`redis-cluster://h1:7000,h2:7001${path}`), path).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    for (const path of ['', '/', '/0']) {
      expect(parseRedisUrl(`redis-cluster://h1:7000${path}?tls=true`), path).toMatchObject({
        kind: 'cluster',
        tls: true,
      });
    }
  });
});

describe('redactUrl', () => {
  // Before: only `sentinelPassword=` was masked, so `?password=` (which ioredis logs in with) was printed.
  it('masks every password-like query value, in any case, and keeps the rest of the URL', () => {
    const cases: [string, string][] = [
      ['redis://127.0.0.1:6379/0?password=s3cret', 'redis://127.0.0.1:6379/0?password=***'],
      ['redis://h:6379?db=1&PASSWORD=s3cret&tls=true', 'redis://h:6379?db=1&PASSWORD=***&tls=true'],
      ['redis://h?%70assword=s3cret', 'redis://h?%70assword=***'],
      ['redis://u:pw@h:6379/2?username=u&password=s3cret', 'redis://u:***@h:6379/2?username=u&password=***'],
      [
        'redis-sentinel://h1:26379,h2:26379/mymaster?db=0&SentinelPassword=s3cret&tls=true',
        'redis-sentinel://h1:26379,h2:26379/mymaster?db=0&SentinelPassword=***&tls=true',
      ],
      // The password meant is `s3#cret`: a '#' does not end what is masked.
      ['redis://h?password=s3#cret', 'redis://h?password=***'],
      ['host:6379?password=s3cret', 'host:6379?password=***'],
    ];
    for (const [url, expected] of cases) expect(redactUrl(url), url).toBe(expected);
  });

  it('leaves a URL without credentials as it is', () => {
    for (const url of ['redis://127.0.0.1:6379/0', 'redis://h?db=1&tls=true#x', 'redis-cluster://h1:7000?tls=true']) {
      expect(redactUrl(url)).toBe(url);
    }
  });
});

describe('parseRedisUrl and redactUrl given something other than a string', () => {
  it('refuse it as INVALID_ARGUMENT naming url, without echoing the value', () => {
    for (const url of [undefined, null, 6379, { host: 'h' }, new URL('redis://u:secret@h:6379')]) {
      for (const call of [() => parseRedisUrl(url as never), () => redactUrl(url as never)]) {
        let thrown: unknown;
        try {
          call();
        } catch (error) {
          thrown = error;
        }
        expect(thrown, String(url)).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'url' });
        expect((thrown as Error).message).not.toContain('secret');
      }
    }
  });
});
