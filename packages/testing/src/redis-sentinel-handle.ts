/** A `host:port` pair. */
export interface RedisEndpoint {
  /** `127.0.0.1` for what this package starts. */
  host: string;
  /** The TCP port. */
  port: number;
}

/**
 * A running Sentinel deployment: one master, its replicas and the sentinels watching them, all on 127.0.0.1,
 * tuned to fail over within a few seconds.
 */
export interface RedisSentinelHandle {
  /** `redis-sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/<masterName>`. */
  readonly url: string;
  /** The name the sentinels monitor the master under (the `masterName` option). */
  readonly masterName: string;
  /** Every sentinel's address. */
  readonly sentinels: RedisEndpoint[];
  /** Where the processes came from: containers or the `redis-server` binary. */
  readonly via: 'container' | 'binary';
  /** The current master, as a sentinel reports it (`SENTINEL GET-MASTER-ADDR-BY-NAME`). */
  master(): Promise<RedisEndpoint>;
  /** SIGKILLs the current master; the sentinels then promote a replica (after about `downAfterMs` + 1–2 s). */
  killMaster(): Promise<void>;
  /** Stops every process or container it started. Idempotent. */
  stop(): Promise<void>;
}
