import { IConstruct } from 'constructs';
import { checkDns1123Subdomain, checkSecretKey, requireArgument } from './private/validation';

/**
 * One key of an existing Kubernetes Secret in the chart's namespace. The constructs only ever
 * reference it (`secretKeyRef`), so its value never appears in the synthesized YAML.
 */
export class SecretKeyReference {
  /**
   * A key of the Secret `secretName`, e.g. `SecretKeyReference.fromSecret('prefect-db', 'password')`.
   * @param secretName the Secret's name
   * @param key the key within the Secret's data
   */
  public static fromSecret(secretName: string, key: string): SecretKeyReference {
    requireArgument('SecretKeyReference.fromSecret', 'secretName', secretName, 'the name of an existing Secret');
    requireArgument('SecretKeyReference.fromSecret', 'key', key, 'a key of the Secret');
    return new SecretKeyReference(secretName, key);
  }

  private constructor(
    /** The Secret's name. */
    public readonly secretName: string,
    /** The key within the Secret's data. */
    public readonly key: string,
  ) {}

  /**
   * Checks the name and key, reporting errors against the construct and prop that hold this reference.
   * @internal
   */
  public _validate(scope: IConstruct, prop: string): void {
    checkDns1123Subdomain(scope, `${prop}.secretName`, this.secretName);
    checkSecretKey(scope, `${prop}.key`, this.key);
  }
}
