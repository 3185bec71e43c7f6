import { PrefectApiProps } from '../server/prefect-api-props';
import { PrefectConnection } from '../workers/prefect-connection';

/** The Prefect API a `PrefectPlatform`'s workers use: a server it deploys, or one elsewhere. */
export class PlatformServer {
  /**
   * A Prefect server deployed in the platform's namespace (see `PrefectApi` for its props): the
   * workers connect to it in the cluster, with its basic auth if it has any.
   */
  public static deploy(props: PrefectApiProps = {}): PlatformServer {
    return new PlatformServer(props, undefined);
  }

  /**
   * A Prefect API the platform does not deploy: Prefect Cloud (`PrefectConnection.cloud`), a server
   * at a URL (`PrefectConnection.fromUrl`), or a `PrefectApi` of another chart
   * (`PrefectConnection.inCluster`). The platform then holds only workers.
   */
  public static external(connection: PrefectConnection): PlatformServer {
    return new PlatformServer(undefined, connection);
  }

  private constructor(
    /** @internal */
    public readonly _apiProps: PrefectApiProps | undefined,
    /** @internal */
    public readonly _connection: PrefectConnection | undefined,
  ) {}
}
