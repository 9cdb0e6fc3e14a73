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
  readonly version?: string;
  /** Hostname or IP address that callers connect to. */
  readonly host: string;
  /** Named ports, e.g. `{ grpc: 50051, http: 8080 }`. */
  readonly ports: Readonly<Record<string, number>>;
  readonly zone?: string;
  /** Relative share of traffic for weighted balancers. Integer 0..10000. @default 100 */
  readonly weight: number;
  /** Free-form labels (e.g. `track`), bounded in count and size. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly status: InstanceStatus;
}

/** What a caller passes to `register()`: `id`, `weight`, `metadata` and `status` have defaults. */
export interface InstanceInput {
  /** @default `<service>-<random>` */
  id?: string;
  service: string;
  version?: string;
  host: string;
  ports: Record<string, number>;
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
