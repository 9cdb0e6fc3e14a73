/**
 * The rules every {@link ServiceInstance} satisfies. They keep registry entries small (heartbeats
 * and snapshots stay cheap), keep names safe for Redis keys and DNS, and make operator output
 * readable.
 */
export const INSTANCE_LIMITS = Object.freeze({
  /** DNS label (RFC 1123): also keeps `{`, `}`, `:`, `*` and spaces out of Redis keys. */
  servicePattern: /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
  serviceRule: 'must be a DNS label: 1-63 lowercase letters, digits or "-", not starting or ending with "-"',
  idPattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
  idRule: 'must be 1-128 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
  /**
   * Hostnames; IP literals (v4, v6, bracketed v6) are checked with `node:net` instead. Dot-separated
   * labels of 1-63 characters (RFC 1035): `db..internal` or a 64-character label was registered, and
   * every client failed to resolve it (ENOTFOUND), far from the typo that caused it.
   */
  hostPattern: /^(?=.{1,253}$)(?!.*\.\.)(?!.*[^.]{64})[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/,
  hostRule:
    'must be a hostname or IP address (1-253 characters, dot-separated labels of 1-63, no scheme, port or path)',
  portNamePattern: /^[a-z][a-z0-9-]{0,14}$/,
  portNameRule: 'must be 1-15 lowercase letters, digits or "-", starting with a letter',
  maxPorts: 16,
  versionPattern: /^[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}$/,
  versionRule: 'must be 1-64 characters of letters, digits, ".", "+", "_" or "-", starting with a letter or digit',
  zonePattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
  zoneRule: 'must be 1-63 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
  minWeight: 0,
  maxWeight: 10_000,
  defaultWeight: 100,
  metadataKeyPattern: /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,62})$/,
  metadataKeyRule: 'must be 1-63 characters of letters, digits, ".", "_", "/" or "-", starting with a letter or digit',
  maxMetadataKeys: 64,
  /** Total UTF-8 bytes of all metadata keys and values. */
  maxMetadataBytes: 4096,
});
