import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate authority made at test time: its files and PEM contents. */
export interface TestCa {
  readonly name: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: Buffer;
}

/** A leaf certificate and its key, signed by a {@link TestCa}. */
export interface TestCert {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * A scratch directory of CAs and certificates, made with the `openssl` CLI (ECDSA P-256, valid for
 * one day). Nothing is reused between runs; `remove()` deletes every file (keys included).
 */
export class CertificateFactory {
  readonly dir = mkdtempSync(join(tmpdir(), 'switchyard-security-pki-'));
  private serial = 0;

  /** A self-signed CA (`CA:TRUE`, keyCertSign). */
  createCa(name: string): TestCa {
    const keyPath = join(this.dir, `${name}.key`);
    const certPath = join(this.dir, `${name}.crt`);
    const ext = join(this.dir, `${name}.ca.cnf`);
    writeFileSync(
      ext,
      [
        '[req]',
        'distinguished_name = dn',
        'x509_extensions = v3_ca',
        'prompt = no',
        '[dn]',
        `CN = ${name}`,
        '[v3_ca]',
        'basicConstraints = critical, CA:TRUE',
        'keyUsage = critical, keyCertSign, cRLSign',
        'subjectKeyIdentifier = hash',
        '',
      ].join('\n'),
    );
    this.genKey(keyPath);
    openssl(['req', '-x509', '-new', '-key', keyPath, '-out', certPath, '-days', '1', '-config', ext]);
    return { name, certPath, keyPath, cert: readFileSync(certPath) };
  }

  /**
   * A leaf certificate signed by `ca`, for both server and client authentication, with the given
   * subject alternative names (e.g. `['IP:127.0.0.1', 'DNS:localhost']`).
   */
  issue(ca: TestCa, name: string, subjectAltNames: readonly string[]): TestCert {
    const keyPath = join(this.dir, `${name}.key`);
    const csrPath = join(this.dir, `${name}.csr`);
    const certPath = join(this.dir, `${name}.crt`);
    const ext = join(this.dir, `${name}.ext.cnf`);
    writeFileSync(
      ext,
      [
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature, keyEncipherment',
        'extendedKeyUsage = serverAuth, clientAuth',
        `subjectAltName = ${subjectAltNames.join(', ')}`,
        '',
      ].join('\n'),
    );
    this.genKey(keyPath);
    openssl(['req', '-new', '-key', keyPath, '-out', csrPath, '-subj', `/CN=${name}`]);
    this.serial++;
    openssl([
      'x509',
      '-req',
      '-in',
      csrPath,
      '-CA',
      ca.certPath,
      '-CAkey',
      ca.keyPath,
      '-set_serial',
      String(1000 + this.serial),
      '-out',
      certPath,
      '-days',
      '1',
      '-extfile',
      ext,
    ]);
    return { certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private genKey(path: string): void {
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

/**
 * Distinctive fragments of a PEM private key (its base64 body lines, and the DER bytes in base64
 * and hex): if any shows up in a log, an error or a registry entry, key material leaked.
 */
export function keyFragments(pem: Buffer): string[] {
  const lines = pem
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length >= 16 && !line.startsWith('-----'));
  const der = Buffer.from(lines.join(''), 'base64');
  return [...lines, der.subarray(8, 40).toString('hex'), der.subarray(8, 40).toString('base64')];
}
