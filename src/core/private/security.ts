import { k8s } from 'cdk8s-plus-27';

/**
 * The uid and gid Prefect containers run as. The official images declare no USER (they run as
 * root); 1001 is what prefect-helm uses.
 */
export const PREFECT_UID = 1001;

/** Pod-level settings that, with `restrictedContainer`, pass Pod Security "restricted". */
export function restrictedPod(): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: PREFECT_UID,
    runAsGroup: PREFECT_UID,
    fsGroup: PREFECT_UID,
    // Skip the recursive chown of the data volume on every start once ownership is right.
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level settings for Pod Security "restricted" with a read-only root filesystem. */
export function restrictedContainer(): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: PREFECT_UID,
    runAsGroup: PREFECT_UID,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The home directory of the Prefect user (`HOME`; `PREFECT_HOME` lives below it). */
export const HOME = '/home/prefect';

/** The writable `emptyDir`s a read-only root filesystem needs: `/tmp` and `HOME`. */
export function writableVolumes(): k8s.Volume[] {
  return [
    { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
    { name: 'home', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
  ];
}

/** Mounts of `writableVolumes()`. */
export function writableMounts(): k8s.VolumeMount[] {
  return [
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'home', mountPath: HOME },
  ];
}
