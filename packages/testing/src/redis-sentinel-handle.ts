/** A `host:port` pair. */
export interface RedisEndpoint {
  host: string;
  port: number;
}

/**
 * A running Sentinel deployment: one master, its replicas and the sentinels watching them, all on 127.0.0.1,
 * tuned to fail over within a few seconds.
 */
export interface RedisSentinelHandle {
  /** `redis-sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/<masterName>`. */
  readonly url: string;
  readonly masterName: string;
  readonly sentinels: RedisEndpoint[];
  readonly via: 'container' | 'binary';
  /** The current master, as a sentinel reports it (`SENTINEL GET-MASTER-ADDR-BY-NAME`). */
  master(): Promise<RedisEndpoint>;
  /** SIGKILLs the current master; the sentinels then promote a replica (after about `downAfterMs` + 1–2 s). */
  killMaster(): Promise<void>;
  /** Stops every process or container it started. Idempotent. */
  stop(): Promise<void>;
}
