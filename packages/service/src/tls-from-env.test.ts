import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  writeFileSync(file('junk.pem'), 'not a PEM file\n');
  // The same certificate DER-encoded, as some CAs hand theirs out (.cer, .der).
  execFileSync('openssl', ['x509', '-in', file('a.crt'), '-outform', 'DER', '-out', file('a.der')], {
    stdio: 'ignore',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
});
