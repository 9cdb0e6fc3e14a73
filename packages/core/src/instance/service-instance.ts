/** Whether an instance takes new traffic (`up`) or is finishing its work before leaving (`draining`). */
export type InstanceStatus = 'up' | 'draining';

/**
 * One running copy of a service, as stored in the registry and seen by discovery.
 * Values are validated by {@link validateInstance}; see {@link INSTANCE_LIMITS} for the rules.
 */
export interface ServiceInstance {
  /** Unique per process registration. */
  readonly id: string;
  /** DNS-label rules: lowercase letters, digits and `-`, 1–63 characters. */
  readonly service: string;
  /** The release this instance runs (`1.4.0`), which route rules and canaries split traffic by. Unset: none. */
  readonly version?: string;
  /** Hostname or IP address that callers connect to. */
  readonly host: string;
  /** Named ports, e.g. `{ grpc: 50051, http: 8080 }`. */
  readonly ports: Readonly<Record<string, number>>;
  /** Availability zone (`eu-1a`), for discovery's zone preference. Unset: none. */
  readonly zone?: string;
  /** Relative share of traffic for weighted balancers. Integer 0..10000. @default 100 */
  readonly weight: number;
  /** Free-form labels (e.g. `track`), bounded in count and size. */
  readonly metadata: Readonly<Record<string, string>>;
  /** `up` takes new traffic; `draining` is skipped by discovery while an `up` instance is left. */
  readonly status: InstanceStatus;
}

/** What a caller passes to `register()`: `id`, `weight`, `metadata` and `status` have defaults. */
export interface InstanceInput {
  /** @default `<service>-<random>` */
  id?: string;
  /** The service name: a DNS label (1-63 lowercase letters, digits or `-`). */
  service: string;
  /** 1-64 letters, digits, `.`, `+`, `_` or `-`. @default unset (no version) */
  version?: string;
  /** Hostname or IP address that callers connect to (an IPv6 literal without a zone id). */
  host: string;
  /** Named ports, 1 to 16 of them (`{ grpc: 50051 }`): names 1-15 lowercase letters, digits or `-`. */
  ports: Record<string, number>;
  /** 1-63 letters, digits, `.`, `_` or `-`. @default unset (no zone) */
  zone?: string;
  /** @default 100 */
  weight?: number;
  /** @default {} */
  metadata?: Record<string, string>;
  /** @default 'up' */
  status?: InstanceStatus;
}

/** The fields of a registered instance that may change during its life. */
export type InstancePatch = Partial<Pick<ServiceInstance, 'status' | 'weight' | 'metadata' | 'version'>>;
