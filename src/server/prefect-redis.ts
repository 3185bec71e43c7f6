import { SecretKeyReference } from '../core/secret-key-reference';

/**
 * The Redis a highly available Prefect 3 server uses for messaging, event ordering, concurrency
 * leases and its task queue.
 */
export interface PrefectRedisOptions {
  /** Host name of the Redis server, e.g. `redis.db.svc.cluster.local`. */
  readonly host: string;

  /**
   * Port of the Redis server.
   * @default 6379
   */
  readonly port?: number;

  /**
   * Redis database number.
   * @default 0
   */
  readonly db?: number;

  /**
   * Redis user (Redis 6 ACLs).
   * @default no user name
   */
  readonly username?: string;

  /**
   * The password, from an existing Secret.
   * @default no password
   */
  readonly password?: SecretKeyReference;

  /**
   * Connect with TLS.
   * @default false
   */
  readonly ssl?: boolean;
}
