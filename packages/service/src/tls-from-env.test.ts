import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tlsFromEnv } from './tls-from-env.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-service-tls-'));
const file = (name: string): string => join(dir, name);

beforeAll(() => {
  // A self-signed certificate and its key (a), and a key of another pair (b).
  for (const name of ['a', 'b']) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        file(`${name}.key`),
        '-out',
        file(`${name}.crt`),
        '-subj',
        `/CN=${name}`,
        '-days',
        '1',
      ],
      { stdio: 'ignore' },
    );
  }
  // A CA, another CA, and certificates for the chain checks: signed by the other CA (wrong), signed
  // through an intermediate that the certificate file carries after the leaf, and expired.
  for (const name of ['ca', 'other-ca']) {
    const [key, crt] = [file(`${name}.key`), file(`${name}.crt`)];
    openssl('req', '-x509', ...NEW_EC_KEY, '-keyout', key, '-out', crt, '-subj', `/CN=${name}`, '-days', '2');
  }
  writeFileSync(file('ca-ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  issue('intermediate', 'ca', '-extfile', file('ca-ext'));
  issue('foreign', 'other-ca');
  issue('chained', 'intermediate');
  const concat = (...names: string[]) => names.map((name) => readFileSync(file(name), 'utf8')).join('');
  writeFileSync(file('chained-chain.crt'), concat('chained.crt', 'intermediate.crt'));
  writeFileSync(file('bundle.crt'), concat('other-ca.crt', 'ca.crt'));
  // Expired: `openssl x509 -days` takes no date in the past, `openssl ca` does.
  mkdirSync(file('ca-db'));
  writeFileSync(file('ca-db/index.txt'), '');
  writeFileSync(file('ca-db/serial'), '01\n');
  writeFileSync(
    file('ca.cnf'),
    [
      '[ca]',
      'default_ca = d',
      '[d]',
      `database = ${file('ca-db/index.txt')}`,
      `new_certs_dir = ${file('ca-db')}`,
      `serial = ${file('ca-db/serial')}`,
      'default_md = sha256',
      'policy = p',
      'unique_subject = no',
      '[p]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  openssl(
    'ca',
    '-batch',
    '-config',
    file('ca.cnf'),
    '-cert',
    file('ca.crt'),
    '-keyfile',
    file('ca.key'),
    '-notext',
    '-in',
    file('foreign.csr'),
    '-out',
    file('expired.crt'),
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200102000000Z',
  );
  writeFileSync(file('junk.pem'), 'not a PEM file\n');
  // The same certificate DER-encoded, as some CAs hand theirs out (.cer, .der).
  execFileSync('openssl', ['x509', '-in', file('a.crt'), '-outform', 'DER', '-out', file('a.der')], {
    stdio: 'ignore',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A new P-256 key, unencrypted (for `openssl req`). */
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/** A key and a certificate for `name` (its .key, .csr and .crt in `dir`), signed by the CA `issuer`. */
function issue(name: string, issuer: string, ...extra: string[]): void {
  openssl('req', ...NEW_EC_KEY, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${name}`);
  const signer = ['-CA', file(`${issuer}.crt`), '-CAkey', file(`${issuer}.key`), '-CAcreateserial'];
  openssl('x509', '-req', '-in', file(`${name}.csr`), ...signer, '-out', file(`${name}.crt`), '-days', '1', ...extra);
}

const env = (ca: string, cert: string, key: string) => ({
  SWITCHYARD_TLS_CA: file(ca),
  SWITCHYARD_TLS_CERT: file(cert),
  SWITCHYARD_TLS_KEY: file(key),
});

describe('tlsFromEnv', () => {
  it('builds credentials from a CA, a certificate and its key', () => {
    expect(tlsFromEnv(env('a.crt', 'a.crt', 'a.key'))?.server).toBeDefined();
  });

  it('refuses SWITCHYARD_TLS_SERVER_NAME alone rather than running without TLS', () => {
    // It used to be ignored: a deployment whose certificate variables went missing ran in plaintext.
    expect(() => tlsFromEnv({ SWITCHYARD_TLS_SERVER_NAME: 'catalog.shop' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'SWITCHYARD_TLS_CA' }),
    );
    expect(tlsFromEnv({})).toBeUndefined();
  });

  it('reads blank variables as unset, as the README says of every variable', () => {
    // A Helm value left empty renders as '' or ' ': that is no TLS, not a half-configured one.
    const blank = {
      SWITCHYARD_TLS_CA: ' ',
      SWITCHYARD_TLS_CERT: '',
      SWITCHYARD_TLS_KEY: '\t',
      SWITCHYARD_TLS_SERVER_NAME: ' ',
    };
    expect(tlsFromEnv(blank)).toBeUndefined();
    // And a path with stray whitespace around it (a ConfigMap's trailing newline) is the path.
    const padded = {
      SWITCHYARD_TLS_CA: ` ${file('a.crt')}\n`,
      SWITCHYARD_TLS_CERT: file('a.crt'),
      SWITCHYARD_TLS_KEY: file('a.key'),
    };
    expect(tlsFromEnv(padded)?.server).toBeDefined();
  });

  it('accepts a certificate signed through an intermediate its file carries, or by one CA of a bundle', () => {
    expect(tlsFromEnv(env('ca.crt', 'chained-chain.crt', 'chained.key'))?.server).toBeDefined();
    expect(tlsFromEnv(env('bundle.crt', 'intermediate.crt', 'intermediate.key'))?.server).toBeDefined();
  });

  // Both used to start, and then every call failed its handshake ("all 3 attempts failed"), in both
  // directions: peers that trust the CA refuse such a certificate, as they refuse an expired one.
  it('refuses a certificate the CA did not sign, or one that has expired, naming SWITCHYARD_TLS_CERT', () => {
    for (const [variables, message] of [
      [
        env('ca.crt', 'foreign.crt', 'foreign.key'),
        /SWITCHYARD_TLS_CERT: .*foreign\.crt is not signed by the CA in .*ca\.crt .*CN=other-ca/,
      ],
      [env('ca.crt', 'chained.crt', 'chained.key'), /SWITCHYARD_TLS_CERT: .*chained\.crt is not signed by the CA/],
      [
        env('ca.crt', 'expired.crt', 'foreign.key'),
        /SWITCHYARD_TLS_CERT: .*expired\.crt expired on 2020-01-02T00:00:00\.000Z/,
      ],
    ] as const) {
      expect(() => tlsFromEnv(variables)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'SWITCHYARD_TLS_CERT' }),
      );
      expect(() => tlsFromEnv(variables)).toThrow(message);
    }
  });

  // Each used to throw OpenSSL's bare message ("error:0480006C:PEM routines::no start line"), with
  // no code and no word of which file was wrong; or nothing at all until the first handshake.
  it.each([
    ['SWITCHYARD_TLS_CA', env('junk.pem', 'a.crt', 'a.key'), /SWITCHYARD_TLS_CA: .*junk\.pem/],
    ['SWITCHYARD_TLS_CA', env('a.key', 'a.crt', 'a.key'), /SWITCHYARD_TLS_CA: .*a\.key/],
    ['SWITCHYARD_TLS_CERT', env('a.crt', 'junk.pem', 'a.key'), /SWITCHYARD_TLS_CERT: .*junk\.pem/],
    ['SWITCHYARD_TLS_KEY', env('a.crt', 'a.crt', 'junk.pem'), /SWITCHYARD_TLS_KEY: .*junk\.pem/],
    ['SWITCHYARD_TLS_KEY', env('a.crt', 'a.crt', 'b.key'), /SWITCHYARD_TLS_KEY: .*does not match/],
    // DER passed the check (X509Certificate reads both encodings), but gRPC takes PEM only: a DER
    // CA trusted nothing, so every handshake failed, and a DER certificate threw "no start line".
    ['SWITCHYARD_TLS_CA', env('a.der', 'a.crt', 'a.key'), /SWITCHYARD_TLS_CA: .*a\.der .*DER/],
    ['SWITCHYARD_TLS_CERT', env('a.crt', 'a.der', 'a.key'), /SWITCHYARD_TLS_CERT: .*a\.der .*DER/],
  ])('names %s when its file is not what it should be', (field, variables, message) => {
    expect(() => tlsFromEnv(variables)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
    expect(() => tlsFromEnv(variables)).toThrow(message);
  });

  it('reload() takes renewed files that pass the checks, and keeps the ones in use otherwise', () => {
    // The files a Secret mounts, rewritten in place by a renewal.
    copyFileSync(file('intermediate.crt'), file('live.crt'));
    copyFileSync(file('intermediate.key'), file('live.key'));
    const tls = tlsFromEnv(env('ca.crt', 'live.crt', 'live.key'));
    expect(tls?.reloadMs).toBe(60_000);
    expect(tls?.reload()).toBe(false);
    // Halfway: the certificate renewed, not yet its key.
    copyFileSync(file('chained-chain.crt'), file('live.crt'));
    expect(() => tls?.reload()).toThrow(expect.objectContaining({ field: 'SWITCHYARD_TLS_KEY' }));
    // A pair the CA did not sign.
    copyFileSync(file('foreign.crt'), file('live.crt'));
    copyFileSync(file('foreign.key'), file('live.key'));
    expect(() => tls?.reload()).toThrow(expect.objectContaining({ field: 'SWITCHYARD_TLS_CERT' }));
    copyFileSync(file('chained-chain.crt'), file('live.crt'));
    copyFileSync(file('chained.key'), file('live.key'));
    expect(tls?.reload()).toBe(true);
    expect(tls?.reload()).toBe(false);
  });

  it('reads SWITCHYARD_TLS_RELOAD_MS, refusing what is not whole milliseconds from 100 to what a timer takes', () => {
    const files = env('a.crt', 'a.crt', 'a.key');
    expect(tlsFromEnv({ ...files, SWITCHYARD_TLS_RELOAD_MS: ' 250 ' })?.reloadMs).toBe(250);
    expect(tlsFromEnv({ ...files, SWITCHYARD_TLS_RELOAD_MS: '' })?.reloadMs).toBe(60_000);
    expect(tlsFromEnv({ ...files, SWITCHYARD_TLS_RELOAD_MS: '2147483647' })?.reloadMs).toBe(2_147_483_647);
    // Longer, a Node timer fires after 1 ms: the files would be read every millisecond.
    for (const bad of ['0', '99', '1.5', '-100', '1e3', 'soon', '2147483648', '99999999999999999999']) {
      expect(() => tlsFromEnv({ ...files, SWITCHYARD_TLS_RELOAD_MS: bad }), bad).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'SWITCHYARD_TLS_RELOAD_MS' }),
      );
    }
  });
});
