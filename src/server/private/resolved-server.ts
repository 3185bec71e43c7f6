import { k8s } from 'cdk8s-plus-27';
import { PrefectImage, PrefectImageFlavor } from '../../core/prefect-image';
import { PrefectVersion } from '../../core/prefect-version';
import { PrefectSetting, settingName } from '../../core/private/prefect-settings';
import { writableMounts, writableVolumes } from '../../core/private/security';
import { SecretKeyReference } from '../../core/secret-key-reference';
import { PrefectApiProps } from '../prefect-api-props';
import { PrefectDatabase } from '../prefect-database';

export const COMPONENT_SERVER = 'server';
export const COMPONENT_SERVICES = 'background-services';
export const COMPONENT_MIGRATION = 'database-migration';
export const UI_DIRECTORY = '/var/cache/prefect-ui';
export const DATA_DIRECTORY = '/var/lib/prefect';
export const PORT_NAME = 'http';

/** A server's props with every default applied, resolved once in its constructor. */
export interface ResolvedServer {
  readonly props: PrefectApiProps;
  readonly name: string;
  readonly database: PrefectDatabase;
  /** The API pods: `replicas`, or the autoscaler's fewest. */
  readonly replicas: number;
  /** The prop that gives the API pods, as errors name it. */
  readonly replicasProp: 'replicas' | 'autoscaling.minReplicas';
  readonly highlyAvailable: boolean;
  /** Background services pods (highly available servers). */
  readonly servicesReplicas: number;
  readonly image: PrefectImage;
  readonly version: PrefectVersion;
  readonly port: number;
}

/** How the server is reached, which an ingress or an external Service may decide after construction. */
export interface ServerExposure {
  /** The API URL the UI calls. */
  readonly uiApiUrl: string;
  /** The path of the API: `/api`, or `<sub-path>/api`. */
  readonly apiPath: string;
  /** The ingress's sub-path, if any. */
  readonly subPath?: string;
  readonly basicAuth?: SecretKeyReference;
}

export function resolveServer(props: PrefectApiProps): ResolvedServer {
  const replicas = props.autoscaling?.minReplicas ?? props.replicas ?? 1;
  const highlyAvailable = replicas > 1;
  const image = (props.image ?? PrefectImage.official())
    ._withDefaultFlavor(highlyAvailable ? PrefectImageFlavor.KUBERNETES : PrefectImageFlavor.STANDARD);
  return {
    props,
    name: props.name ?? 'prefect-server',
    database: props.database ?? PrefectDatabase.sqlite(),
    replicas,
    replicasProp: props.autoscaling ? 'autoscaling.minReplicas' : 'replicas',
    highlyAvailable,
    servicesReplicas: props.servicesReplicas ?? 1,
    image,
    version: image.version,
    port: props.port ?? 4200,
  };
}

/** A server setting under the name the server's release reads. */
export function setting(server: ResolvedServer, s: PrefectSetting): string {
  return settingName(s, server.version);
}

/** The writable directories of a server pod, with the UI's for the API container. */
export function serverVolumes(withUi: boolean): k8s.Volume[] {
  const volumes = writableVolumes();
  if (withUi) volumes.push({ name: 'ui', emptyDir: { sizeLimit: k8s.Quantity.fromString('512Mi') } });
  return volumes;
}

/** Mounts of `serverVolumes`, and of the SQLite database's claim. */
export function serverMounts(server: ResolvedServer, withUi: boolean): k8s.VolumeMount[] {
  const mounts = writableMounts();
  if (withUi) mounts.push({ name: 'ui', mountPath: UI_DIRECTORY });
  if (server.database.isSqlite) mounts.push({ name: 'data', mountPath: DATA_DIRECTORY });
  return mounts;
}
