import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type ChannelCredentials, type ChannelOptions, credentials, ServerCredentials } from '@grpc/grpc-js';
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
}

/**
 * mTLS settings from `SWITCHYARD_TLS_CA`, `SWITCHYARD_TLS_CERT` and `SWITCHYARD_TLS_KEY` (PEM file
 * paths; all three or none) and optionally `SWITCHYARD_TLS_SERVER_NAME` (the name in the
 * certificates, when instances are dialled by IP). The key is read here and kept in memory only;
 * it is never logged or registered.
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
  const read = (name: (typeof names)[number]): Buffer => {
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
  // Checked here, naming the file: gRPC took a CA that is not a certificate without a word (every
  // handshake then failed), and said of a bad certificate or key only OpenSSL's "no start line".
  const parse = <T>(name: (typeof names)[number], what: string, build: () => T): T => {
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
  const serverName = env.SWITCHYARD_TLS_SERVER_NAME;
  return {
    server: ServerCredentials.createSsl(ca, [{ private_key: key, cert_chain: cert }], true),
    client: credentials.createSsl(ca, key, cert),
    channelOptions: serverName
      ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName }
      : {},
  };
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
