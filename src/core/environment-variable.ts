import { factoryError, requireArgument, requireSecretArgument } from './private/validation';
import { SecretKeyReference } from './secret-key-reference';
import { ValidationCode } from './validation-code';

/** An extra environment variable for Prefect containers: a literal value, or a key of an existing Secret. */
export class EnvironmentVariable {
  /**
   * A literal value. Never use this for a secret: it is written into the YAML.
   */
  public static fromValue(name: string, value: string): EnvironmentVariable {
    requireArgument('EnvironmentVariable.fromValue', 'name', name, 'a variable name');
    requireArgument('EnvironmentVariable.fromValue', 'value', value, 'the value (an empty string for none)');
    if (typeof name !== 'string' || typeof value !== 'string') {
      throw factoryError('EnvironmentVariable.fromValue', typeof name !== 'string' ? 'name' : 'value', typeof name !== 'string' ? name : value, 'a string', ValidationCode.FORMAT);
    }
    return new EnvironmentVariable(name, value, undefined);
  }

  /**
   * The value of a key of an existing Secret.
   */
  public static fromSecret(name: string, secret: SecretKeyReference): EnvironmentVariable {
    requireArgument('EnvironmentVariable.fromSecret', 'name', name, 'a variable name');
    requireSecretArgument('EnvironmentVariable.fromSecret', 'secret', secret, SecretKeyReference);
    return new EnvironmentVariable(name, undefined, secret);
  }

  /** The variable's name. */
  public readonly name: string;
  /** The literal value, if it has one. */
  public readonly value?: string;
  /** The Secret key it is read from, if it is one. */
  public readonly secret?: SecretKeyReference;

  private constructor(name: string, value?: string, secret?: SecretKeyReference) {
    this.name = name;
    this.value = value;
    this.secret = secret;
  }
}
