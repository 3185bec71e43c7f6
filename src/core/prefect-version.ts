import { factoryError } from './private/validation';
import { ValidationCode } from './validation-code';

const RELEASE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/**
 * The newest release of each major these constructs are verified against: the last of Prefect 1 and
 * 2, and for Prefect 3 the release the runtime suite runs.
 */
const NEWEST_VERIFIED: { [major: number]: string } = { 1: '1.4.1', 2: '2.20.25', 3: '3.8.3' };

/**
 * An exact Prefect release. Settings names, CLI commands and features differ between releases,
 * so every construct derives what it emits from this.
 */
export class PrefectVersion {
  /** Prefect 3.8.3: the newest release these constructs are verified against, and the default. */
  public static readonly V3_8_3 = PrefectVersion.of('3.8.3');

  /** Prefect 2.20.25: the last Prefect 2 release. */
  public static readonly V2_20_25 = PrefectVersion.of('2.20.25');

  /** Prefect 1.4.1: the last Prefect 1 release (agents only; Prefect 1 has no `prefect server start`). */
  public static readonly V1_4_1 = PrefectVersion.of('1.4.1');

  /**
   * A release by its number, e.g. `PrefectVersion.of('3.4.20')`.
   * @param version `MAJOR.MINOR.PATCH`
   */
  public static of(version: string): PrefectVersion {
    const match = RELEASE.exec(version);
    if (!match) {
      throw factoryError('PrefectVersion.of', 'version', version, 'an exact Prefect release as MAJOR.MINOR.PATCH, such as "3.8.3" or "2.20.25"', ValidationCode.FORMAT);
    }
    const major = Number(match[1]);
    if (!(major in NEWEST_VERIFIED)) {
      throw factoryError('PrefectVersion.of', 'version', version,
        'a release of Prefect 1, 2 or 3: the settings, commands and features of other majors are not known to these constructs', ValidationCode.RELEASE);
    }
    return new PrefectVersion(version, major, Number(match[2]), Number(match[3]));
  }

  private constructor(
    /** The release, e.g. `3.8.3`. */
    public readonly version: string,
    /** The major version. */
    public readonly major: number,
    /** The minor version. */
    public readonly minor: number,
    /** The patch version. */
    public readonly patch: number,
  ) {}

  /**
   * Whether this release is the given one or newer.
   * @param version `MAJOR.MINOR.PATCH`
   */
  public isAtLeast(version: string): boolean {
    const other = PrefectVersion.of(version);
    if (this.major !== other.major) return this.major > other.major;
    if (this.minor !== other.minor) return this.minor > other.minor;
    return this.patch >= other.patch;
  }

  /**
   * Whether this release is newer than the newest of its major that these constructs are verified
   * against (3.8.3, 2.20.25, 1.4.1): it may have renamed a setting or changed a command since.
   * @internal
   */
  public _isUnverified(): boolean {
    return !PrefectVersion.of(this._newestVerified()).isAtLeast(this.version);
  }

  /**
   * The newest release of this major that these constructs are verified against.
   * @internal
   */
  public _newestVerified(): string {
    return NEWEST_VERIFIED[this.major];
  }

  /** The release, e.g. `3.8.3`. */
  public toString(): string {
    return this.version;
  }
}
