import { k8s } from 'cdk8s-plus-27';
import { EnvironmentVariable } from '../environment-variable';
import { SecretKeyReference } from '../secret-key-reference';

/** An environment variable read from a Secret key. */
export function secretEnv(name: string, secret: SecretKeyReference): k8s.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret.secretName, key: secret.key } } };
}

/** Extra variables as container env entries. */
export function toEnvVars(variables: EnvironmentVariable[]): k8s.EnvVar[] {
  return variables.map(v => v.secret ? secretEnv(v.name, v.secret) : { name: v.name, value: v.value });
}
