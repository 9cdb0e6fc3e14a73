import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import {
  type ChannelCredentials,
  type ChannelOptions,
  credentials,
  experimental,
  ServerCredentials,
} from '@grpc/grpc-js';
import { InvalidArgumentError } from '@switchyard/core';

/** How a PEM certificate begins (a file may hold several, or a key besides). */
const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

/** Mutual TLS between services, from files named by environment variables. */
export interface ServiceTls {
  /** Server side: presents the certificate and requires a client certificate signed by the CA. */
  readonly server: ServerCredentials;
  /** Client side: presents the certificate and trusts only the CA. */
  readonly client: ChannelCredentials;
  /** Channel options (the expected server name when certificates name one, not the dialled IP). */
  readonly channelOptions: ChannelOptions;
  /**
   * How often startService() calls {@link ServiceTls.reload} (`SWITCHYARD_TLS_RELOAD_MS`, default
   * 60 000 ms).
   */
  readonly reloadMs: number;
  /**
   * Reads the three files again. When they changed and pass the same checks as at start, new
   * connections use them, both ways: `server` presents the new certificate and trusts the new CA,
   * and so do channels made with `client`, when they next connect (connections already open keep
   * theirs). Files that fail the checks (a rotation caught halfway, the certificate written and not
   * yet its key) are not taken: the ones in use stay.
   * @returns true when new files were taken, false when they had not changed.
   * @throws InvalidArgumentError naming the variable, as tlsFromEnv() does; nothing changes then.
   */
  reload(): boolean;
}

/** The contents of the three files, checked. */
interface TlsFiles {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** How often the files are read again by default: cert-manager renews well before expiry (a third of the lifetime). */
const DEFAULT_RELOAD_MS = 60_000;

/**
 * mTLS settings from `SWITCHYARD_TLS_CA`, `SWITCHYARD_TLS_CERT` and `SWITCHYARD_TLS_KEY` (PEM file
 * paths; all three or none) and optionally `SWITCHYARD_TLS_SERVER_NAME` (the name in the
 * certificates, when instances are dialled by IP) and `SWITCHYARD_TLS_RELOAD_MS` (how often to read
 * the files again, see {@link ServiceTls.reload}). The key is read here and kept in memory only;
 * it is never logged or registered. `environment` defaults to `process.env`. `undefined` when none
 * of these variables is set (plaintext).
 * @throws InvalidArgumentError naming the variable: a file missing or unreadable, not PEM, a key
 *   that does not match the certificate, a certificate the CA did not sign (directly or through
 *   intermediates after it in its file) or one that has expired.
 */
export function tlsFromEnv(environment: NodeJS.ProcessEnv = process.env): ServiceTls | undefined {
  const names = ['SWITCHYARD_TLS_CA', 'SWITCHYARD_TLS_CERT', 'SWITCHYARD_TLS_KEY'] as const;
  // Trimmed, and blank counts as unset, as for every other variable of the service runtime.
  const env: Record<string, string | undefined> = {};
  for (const name of [...names, 'SWITCHYARD_TLS_SERVER_NAME']) env[name] = environment[name]?.trim() || undefined;
  const given = names.filter((name) => env[name]);
  if (given.length === 0 && !env.SWITCHYARD_TLS_SERVER_NAME) return undefined;
  // A server name alone means TLS was intended: its files are missing, so refuse to run in plaintext.
  if (given.length !== names.length) {
    const missing = names.filter((name) => !env[name]);
    throw new InvalidArgumentError(
      missing[0] as string,
      `is required with ${[...given, ...(env.SWITCHYARD_TLS_SERVER_NAME ? ['SWITCHYARD_TLS_SERVER_NAME'] : [])].join(', ')} (mTLS needs a CA, a certificate and a key)`,
    );
  }
  const reloadMs = reloadIntervalOf(environment.SWITCHYARD_TLS_RELOAD_MS);
  let files = readTlsFiles(env);
  const serverName = env.SWITCHYARD_TLS_SERVER_NAME;
  // grpc-js before the certificate-provider work (1.12) has neither the hook nor the constructor
  // RotatingServerCredentials relies on: static credentials there, as before.
  const rotating = SERVER_ROTATION ? new RotatingServerCredentials(files) : undefined;
  const server =
    rotating ?? ServerCredentials.createSsl(files.ca, [{ private_key: files.key, cert_chain: files.cert }], true);
  const provider = new RotatingCertificates(files);
  // The certificate-provider credentials (grpc-js 1.12 and later) build each new connection's TLS context
  // from the provider's latest files; static ones (createSsl) kept presenting the certificate read
  // at start, which peers refused once it expired, though a renewed one sat on disk.
  const client =
    typeof experimental.createCertificateProviderChannelCredentials === 'function'
      ? experimental.createCertificateProviderChannelCredentials(provider, provider)
      : credentials.createSsl(files.ca, files.key, files.cert);
  return {
    server,
    client,
    channelOptions: serverName
      ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName }
      : {},
    reloadMs,
    reload() {
      const next = readTlsFiles(env, files);
      if (next === files) return false;
      files = next;
      rotating?.update(next);
      provider.update(next);
      return true;
    },
  };
}

/** The longest interval a Node timer takes: a longer one fires after 1 ms, i.e. a reload every millisecond. */
const MAX_TIMER_MS = 2_147_483_647;

/** `SWITCHYARD_TLS_RELOAD_MS`: whole milliseconds, 100 to {@link MAX_TIMER_MS}; blank or unset is the default. */
function reloadIntervalOf(value: string | undefined): number {
  const text = value?.trim();
  if (!text) return DEFAULT_RELOAD_MS;
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms < 100 || ms > MAX_TIMER_MS) {
    throw new InvalidArgumentError(
      'SWITCHYARD_TLS_RELOAD_MS',
      `must be whole milliseconds from 100 to ${MAX_TIMER_MS} (about 24 days) (got '${text}')`,
    );
  }
  return ms;
}

/**
 * Reads and checks the three files named by `env` (all three set); `current` itself when they hold
 * the same bytes as `current` (not checked again).
 * @throws InvalidArgumentError naming the variable (see tlsFromEnv).
 */
function readTlsFiles(env: Record<string, string | undefined>, current?: TlsFiles): TlsFiles {
  const read = (name: 'SWITCHYARD_TLS_CA' | 'SWITCHYARD_TLS_CERT' | 'SWITCHYARD_TLS_KEY'): Buffer => {
    try {
      return readFileSync(env[name] as string);
    } catch (error) {
      throw new InvalidArgumentError(
        name,
        `cannot read ${env[name]}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  };
  const ca = read('SWITCHYARD_TLS_CA');
  const cert = read('SWITCHYARD_TLS_CERT');
  const key = read('SWITCHYARD_TLS_KEY');
  if (current && ca.equals(current.ca) && cert.equals(current.cert) && key.equals(current.key)) return current;
  // Checked here, naming the file: gRPC took a CA that is not a certificate without a word (every
  // handshake then failed), and said of a bad certificate or key only OpenSSL's "no start line".
  const parse = <T>(
    name: 'SWITCHYARD_TLS_CA' | 'SWITCHYARD_TLS_CERT' | 'SWITCHYARD_TLS_KEY',
    what: string,
    build: () => T,
  ): T => {
    try {
      return build();
    } catch (error) {
      throw new InvalidArgumentError(name, `${env[name]} is not ${what}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  const pemCertificate = (pem: Buffer): X509Certificate => {
    const certificate = new X509Certificate(pem);
    // X509Certificate reads DER as well, gRPC only PEM: a DER CA was taken and trusted nothing
    // (every handshake failed), a DER certificate failed later with OpenSSL's "no start line".
    if (!pem.includes(PEM_CERTIFICATE))
      throw new Error('it is DER-encoded, and gRPC reads PEM only (convert it: openssl x509 -inform DER -outform PEM)');
    return certificate;
  };
  parse('SWITCHYARD_TLS_CA', 'a PEM certificate', () => pemCertificate(ca));
  const certificate = parse('SWITCHYARD_TLS_CERT', 'a PEM certificate', () => pemCertificate(cert));
  const privateKey = parse('SWITCHYARD_TLS_KEY', 'a PEM private key', () => createPrivateKey(key));
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new InvalidArgumentError(
      'SWITCHYARD_TLS_KEY',
      `${env.SWITCHYARD_TLS_KEY} does not match the certificate in ${env.SWITCHYARD_TLS_CERT}`,
    );
  }
  // Checked here too: a certificate the CA did not sign, or one that has expired, passed the start,
  // and then every handshake failed both ways (peers trusting the CA refuse it, as they refuse an
  // expired one), each call reported only as "all 3 attempts failed".
  const expires = Date.parse(certificate.validTo);
  if (expires < Date.now()) {
    throw new InvalidArgumentError(
      'SWITCHYARD_TLS_CERT',
      `${env.SWITCHYARD_TLS_CERT} expired on ${new Date(expires).toISOString()}: peers refuse it (renew it)`,
    );
  }
  if (!signedBy(pemCertificates(cert), pemCertificates(ca))) {
    throw new InvalidArgumentError(
      'SWITCHYARD_TLS_CERT',
      `${env.SWITCHYARD_TLS_CERT} is not signed by the CA in ${env.SWITCHYARD_TLS_CA} (it was issued by ${oneLine(certificate.issuer)}): peers that trust that CA refuse it (an intermediate CA goes in the certificate file, after the certificate)`,
    );
  }
  return { ca, cert, key };
}

/** What grpc-js's own credentials take from GRPC_SSL_CIPHER_SUITES (read once, as grpc-js does). */
const CIPHER_SUITES = process.env.GRPC_SSL_CIPHER_SUITES;

/** The TLS context of a server that presents `files.cert` and trusts clients signed by `files.ca`. */
function serverContextOf(files: TlsFiles): SecureContextOptions {
  return {
    ca: files.ca,
    cert: [files.cert],
    key: [files.key],
    ...(CIPHER_SUITES ? { ciphers: CIPHER_SUITES } : {}),
  };
}

/** Whether this grpc-js hands credentials' updated TLS options to its listening servers (setSecureContext). */
const SERVER_ROTATION =
  typeof (ServerCredentials.prototype as { _getConstructorOptions?: unknown })._getConstructorOptions === 'function';

/**
 * Server credentials as `ServerCredentials.createSsl(ca, [{ private_key, cert_chain }], true)`
 * makes them (a client certificate required), whose files can be replaced: grpc-js hands every
 * update to its listening servers (`setSecureContext`), so the connections that come after it
 * present the new certificate and check clients against the new CA.
 */
class RotatingServerCredentials extends ServerCredentials {
  constructor(files: TlsFiles) {
    super({ requestCert: true, ...(CIPHER_SUITES ? { ciphers: CIPHER_SUITES } : {}) }, serverContextOf(files));
  }

  update(files: TlsFiles): void {
    this.updateSecureContextOptions(serverContextOf(files));
  }

  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

/**
 * A grpc-js certificate provider (CA and identity) over the service's files, for channel
 * credentials that build each new connection's TLS context from the latest files. Listeners get
 * the current files at once (grpc-js waits for both before its first connection) and every update.
 */
class RotatingCertificates implements experimental.CertificateProvider {
  private readonly caListeners = new Set<experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<experimental.IdentityCertificateUpdateListener>();

  constructor(private files: TlsFiles) {}

  update(files: TlsFiles): void {
    this.files = files;
    for (const listener of this.caListeners) listener({ caCertificate: files.ca });
    for (const listener of this.identityListeners) listener({ certificate: files.cert, privateKey: files.key });
  }

  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    listener({ caCertificate: this.files.ca });
  }

  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    listener({ certificate: this.files.cert, privateKey: this.files.key });
  }

  removeIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }
}

/** Every certificate of a PEM file, in order (a chain: the leaf, then its intermediates; or a CA bundle). */
function pemCertificates(pem: Buffer): X509Certificate[] {
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const certificates: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      certificates.push(new X509Certificate(block));
    } catch {
      // A block that does not parse signs nothing: the chain check fails without it, naming the file.
    }
  }
  return certificates;
}

/**
 * Whether `chain[0]` (the leaf) is signed by one of `authorities`, directly or through the
 * intermediates that follow it in `chain`, as a peer that trusts those authorities checks it.
 */
function signedBy(chain: X509Certificate[], authorities: X509Certificate[]): boolean {
  const issues = (issuer: X509Certificate, subject: X509Certificate): boolean =>
    subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  let current = chain[0];
  const unused = chain.slice(1);
  while (current !== undefined) {
    const subject: X509Certificate = current;
    if (authorities.some((authority) => issues(authority, subject))) return true;
    const next = unused.findIndex((candidate) => issues(candidate, subject));
    // Each intermediate is used once: a chain that loops ends here.
    current = next === -1 ? undefined : unused.splice(next, 1)[0];
  }
  return false;
}

/** An X.509 name as Node gives it (one attribute per line) on one line, for an error message. */
function oneLine(name: string): string {
  return name.trim().split('\n').join(', ');
}
