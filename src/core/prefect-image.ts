import { IConstruct } from 'constructs';
import { PrefectVersion } from './prefect-version';
import { isPinned, parseImageReference, PINNED_IMAGE } from './private/image-reference';
import { enumChoices, factoryError, requireArgument } from './private/validation';
import { warn } from './private/warnings';
import { ValidationCode } from './validation-code';
import { WarningCode } from './warning-code';

/** The variant of an official Prefect image. */
export enum PrefectImageFlavor {
  /** Prefect alone. */
  STANDARD = 'STANDARD',
  /** Prefect with prefect-kubernetes and prefect-redis (needed by Kubernetes workers and by a highly available server). */
  KUBERNETES = 'KUBERNETES',
  /** Prefect on a conda base. */
  CONDA = 'CONDA',
}

const FLAVOR_SUFFIX: Record<PrefectImageFlavor, string> = {
  [PrefectImageFlavor.STANDARD]: '',
  [PrefectImageFlavor.KUBERNETES]: '-kubernetes',
  [PrefectImageFlavor.CONDA]: '-conda',
};

/** Options for an official `prefecthq/prefect` image. */
export interface OfficialPrefectImageOptions {
  /**
   * The Prefect release.
   * @default PrefectVersion.V3_8_3
   */
  readonly version?: PrefectVersion;

  /**
   * The Python version of the image, `3.MINOR`.
   * @default "3.12" ("3.10" for Prefect 1)
   */
  readonly pythonVersion?: string;

  /**
   * The image flavor.
   * @default PrefectImageFlavor.STANDARD, or KUBERNETES where the deployment needs prefect-redis or prefect-kubernetes
   */
  readonly flavor?: PrefectImageFlavor;
}

const PYTHON_VERSION = /^3\.\d{1,2}$/;
/** The official images on Docker Hub, by any of the names Docker Hub answers to. */
const OFFICIAL_REPOSITORY = /^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?prefecthq\/prefect$/;

/**
 * A pinned container image with Prefect in it, and the Prefect release it contains (which decides
 * the settings names and commands the constructs emit).
 */
export class PrefectImage {
  /**
   * An official `prefecthq/prefect:<version>-python<python><flavor>` image.
   */
  public static official(options: OfficialPrefectImageOptions = {}): PrefectImage {
    // null from JavaScript or Python stands for no options, as undefined does.
    options = options ?? {};
    const version = options.version ?? PrefectVersion.V3_8_3;
    // Prefect 1 images were built for Python 3.7 to 3.10, in the standard flavor only.
    const prefect1 = version.major === 1;
    const python = options.pythonVersion ?? (prefect1 ? '3.10' : '3.12');
    if (!PYTHON_VERSION.test(python)) {
      throw factoryError('PrefectImage.official', 'pythonVersion', python, 'a Python version as 3.MINOR, such as "3.12"', ValidationCode.FORMAT);
    }
    if (prefect1 && !['3.7', '3.8', '3.9', '3.10'].includes(python)) {
      throw factoryError('PrefectImage.official', 'pythonVersion', `${python} with Prefect ${version}`, 'Prefect 1 images exist for Python 3.7 to 3.10', ValidationCode.RELEASE);
    }
    const flavor = options.flavor ?? PrefectImageFlavor.STANDARD;
    if (!Object.values(PrefectImageFlavor).includes(flavor)) {
      throw factoryError('PrefectImage.official', 'flavor', flavor, `one of ${enumChoices(PrefectImageFlavor, 'PrefectImageFlavor')}`, ValidationCode.CHOICE);
    }
    if (prefect1 && flavor !== PrefectImageFlavor.STANDARD) {
      throw factoryError('PrefectImage.official', 'flavor', `${flavor} with Prefect ${version}`, 'Prefect 1 images come in the standard flavor only', ValidationCode.RELEASE);
    }
    return new PrefectImage(`prefecthq/prefect:${version.version}-python${python}${FLAVOR_SUFFIX[flavor]}`,
      version, flavor, options.flavor === undefined);
  }

  /**
   * Any image, e.g. a mirror of the official one or an image with your flow dependencies.
   * It must be pinned: a tag naming an exact build (not `latest` or `<major>-latest`) or a digest.
   * @param reference the image reference, e.g. `registry.example.com/prefect:3.8.3-python3.12-kubernetes`
   * @param version the Prefect release the image contains
   */
  public static fromRegistry(reference: string, version: PrefectVersion): PrefectImage {
    requireArgument('PrefectImage.fromRegistry', 'reference', reference, 'an image reference');
    requireArgument('PrefectImage.fromRegistry', 'version', version, 'the PrefectVersion the image contains, such as PrefectVersion.V3_8_3');
    const parsed = parseImageReference(reference);
    if (!parsed) {
      throw factoryError('PrefectImage.fromRegistry', 'reference', reference, 'an image reference such as "registry.example.com/team/prefect:3.8.3-python3.12"', ValidationCode.FORMAT);
    }
    if (!isPinned(parsed)) {
      throw factoryError('PrefectImage.fromRegistry', 'reference', reference, `the image must be ${PINNED_IMAGE}`, ValidationCode.IMAGE);
    }
    const { digest } = parsed;
    const tag = parsed.tag ?? '';
    // The official repository's tags start with the release, or float (`3`, `3-python3.12`).
    const official = OFFICIAL_REPOSITORY.test(reference.replace(/[:@].*$/, ''));
    if (official && !digest && tag !== version.version && !tag.startsWith(`${version.version}-`)) {
      throw factoryError('PrefectImage.fromRegistry', 'reference', `${reference} with Prefect ${version}`,
        `a tag of the official image that names the release, "${version.version}-python<X.Y>[-<flavor>]" (PrefectImage.official() builds it), or a digest`, ValidationCode.IMAGE);
    }
    // A mirror's tag that starts with a release is taken to name the release inside.
    const tagRelease = !official && !digest ? /^v?([1-3]\.\d+\.\d+)(?![.\d])/.exec(tag)?.[1] : undefined;
    return new PrefectImage(reference, version, undefined, false, tagRelease !== undefined && tagRelease !== version.version ? tagRelease : undefined);
  }

  /** The image reference. */
  public readonly reference: string;
  /** The Prefect release in the image. */
  public readonly version: PrefectVersion;
  /** The flavor of an official image; undefined for other images. */
  public readonly flavor?: PrefectImageFlavor;
  private readonly flavorIsDefault: boolean;
  /** Another release than `version` that the tag names, for a warning. */
  private readonly tagRelease?: string;

  private constructor(reference: string, version: PrefectVersion, flavor: PrefectImageFlavor | undefined, flavorIsDefault: boolean, tagRelease?: string) {
    this.reference = reference;
    this.version = version;
    this.flavor = flavor;
    this.flavorIsDefault = flavorIsDefault;
    this.tagRelease = tagRelease;
  }

  /**
   * Registers the warnings of a construct that runs this image as its `prop`: a release newer than
   * the verified ones, and a tag that names another release than the one stated.
   * @internal
   */
  public _warn(scope: IConstruct, prop: string): void {
    if (this.version._isUnverified()) {
      warn(scope, WarningCode.UNVERIFIED_RELEASE, () => `${prop} runs Prefect ${this.version}, newer than ${this.version._newestVerified()}, the newest release of Prefect ${this.version.major} these constructs are verified against: a setting or command it renamed would go unnoticed until run`);
    }
    if (this.tagRelease !== undefined) {
      warn(scope, WarningCode.IMAGE_TAG_RELEASE, () => `${prop} "${this.reference}" is said to contain Prefect ${this.version}, but its tag names ${this.tagRelease}: the settings and commands emitted are those of ${this.version}`);
    }
  }

  /**
   * This image, or for an official image whose flavor was not chosen explicitly, the same release
   * in the given flavor. Lets a construct pick the flavor it needs while a user's explicit choice stands.
   * @internal
   */
  public _withDefaultFlavor(flavor: PrefectImageFlavor): PrefectImage {
    // A defaulted flavor is STANDARD, whose tag has no suffix. Prefect 1 has no other flavor.
    if (!this.flavorIsDefault || flavor === this.flavor || this.version.major === 1) return this;
    return new PrefectImage(this.reference + FLAVOR_SUFFIX[flavor], this.version, flavor, false);
  }
}
