import { IConstruct } from 'constructs';
import { warn } from '../../core/private/warnings';
import { WarningCode } from '../../core/warning-code';
import type { KubernetesJobTemplateOptions } from '../kubernetes-job-template';
import type { PrefectWorkerPoolProps } from '../prefect-worker-pool';
import { ResolvedPool } from './resolved-pool';

/** The risks a pool's props take: images of unverified releases, Secrets needed elsewhere. */
export function warnPool(scope: IConstruct, props: PrefectWorkerPoolProps, pool: ResolvedPool, hasWorkPools: boolean): void {
  // A defaulted image follows the server's release, whose own warning covers it.
  if (props.image) pool.image._warn(scope, 'image');
  props.jobTemplate?.image?._warn(scope, 'jobTemplate.image');
  if (pool.launchesJobs) warn(scope, WarningCode.SECRETS_IN_OTHER_NAMESPACES, () => secretsElsewhere(pool, hasWorkPools, props.jobTemplate));
}

/**
 * What the flow-run pods reference in their own namespace and nothing here creates: the
 * connection's Secrets (the worker passes them on), the job template's variables from Secrets and
 * its pull Secrets, in each job namespace other than the pool's. Undefined when there are none.
 */
function secretsElsewhere(pool: ResolvedPool, hasWorkPools: boolean, template: KubernetesJobTemplateOptions | undefined): string | undefined {
  const elsewhere = pool.jobNamespaces.filter(ns => ns !== pool.namespace);
  const connectionEnv = hasWorkPools ? pool.connection._clientEnv() : pool.connection._prefect1Env();
  const secrets = new Set([
    ...connectionEnv.flatMap(e => e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : []),
    ...(template?.env ?? []).flatMap(e => e.secret ? [e.secret.secretName] : []),
    ...(template?.imagePullSecrets ?? pool.imagePullSecrets),
  ]);
  if (elsewhere.length === 0 || secrets.size === 0) return undefined;
  const plural = (n: number, word: string) => (n > 1 ? `${word}s` : word);
  return `the flow-run pods reference ${plural(secrets.size, 'Secret')} ${[...secrets].sort().join(', ')} in ${plural(elsewhere.length, 'namespace')} ${elsewhere.join(', ')}, where the chart does not create them: without a copy there every flow run fails with CreateContainerConfigError`;
}
