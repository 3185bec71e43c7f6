import { Size } from 'cdk8s';
import { requireArgument, requireSecretArgument } from '../core/private/validation';
import { SecretKeyReference } from '../core/secret-key-reference';

/** Options for the embedded SQLite database. */
export interface SqliteDatabaseOptions {
  /**
   * Size of the persistent volume claim that holds the database file. Fixed at the first apply
   * (StatefulSet claim templates are immutable): grow it later by resizing the claim itself.
   * @default Size.gibibytes(5)
   */
  readonly size?: Size;

  /**
   * Storage class of the claim. Fixed at the first apply.
   * @default the cluster's default storage class
   */
  readonly storageClassName?: string;
}

/** A PostgreSQL database given by its parts. */
export interface PostgresDatabaseOptions {
  /** Host name of the PostgreSQL server, e.g. `postgres.db.svc.cluster.local`. */
  readonly host: string;

  /**
   * Port of the PostgreSQL server.
   * @default 5432
   */
  readonly port?: number;

  /** The database user. */
  readonly user: string;

  /** The database name. */
  readonly databaseName: string;

  /** The user's password, from an existing Secret. */
  readonly password: SecretKeyReference;
}

/**
 * The database of a Prefect server: embedded SQLite on a persistent volume (one replica only),
 * or PostgreSQL (required for more than one replica).
 */
export class PrefectDatabase {
  /**
   * SQLite on a persistent volume claim. Single-writer: the server runs as exactly one pod.
   */
  public static sqlite(options: SqliteDatabaseOptions = {}): PrefectDatabase {
    // null from JavaScript or Python stands for no options, as undefined does.
    options = options ?? {};
    return new PrefectDatabase(options, undefined, undefined);
  }

  /**
   * PostgreSQL, with the whole connection URL in an existing Secret, in the form
   * `postgresql+asyncpg://USER:PASSWORD@HOST:5432/DATABASE`.
   */
  public static postgresUrl(connectionUrl: SecretKeyReference): PrefectDatabase {
    requireSecretArgument('PrefectDatabase.postgresUrl', 'connectionUrl', connectionUrl, SecretKeyReference);
    return new PrefectDatabase(undefined, connectionUrl, undefined);
  }

  /**
   * PostgreSQL given by host, port, user and database name, with the password from an existing
   * Secret (Prefect 3.0+).
   */
  public static postgres(options: PostgresDatabaseOptions): PrefectDatabase {
    requireArgument('PrefectDatabase.postgres', 'options', options, '{ host, user, databaseName, password }');
    return new PrefectDatabase(undefined, undefined, options);
  }

  // Exactly one of the three is set.
  private constructor(
    private readonly sqliteOptions: SqliteDatabaseOptions | undefined,
    private readonly url: SecretKeyReference | undefined,
    private readonly components: PostgresDatabaseOptions | undefined,
  ) {}

  /** Whether this is the embedded SQLite database. */
  public get isSqlite(): boolean {
    return this.sqliteOptions !== undefined;
  }

  /** @internal */
  public get _sqlite(): SqliteDatabaseOptions | undefined {
    return this.sqliteOptions;
  }

  /** @internal */
  public get _connectionUrl(): SecretKeyReference | undefined {
    return this.url;
  }

  /** @internal */
  public get _components(): PostgresDatabaseOptions | undefined {
    return this.components;
  }
}
