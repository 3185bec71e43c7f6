/**
 * The stable code of an input error, by class of rule. Every error the constructs throw, or report
 * at synth, starts with its code in brackets (`[QUANTITY] PrefectWorkerPool 'prefect/etl': ...`),
 * and in TypeScript carries it as `code`, beside `constructPath`, `prop` and `value`. The codes stay
 * when a message is reworded.
 */
export enum ValidationCode {
  /** Not one of the accepted values of an enum-like prop. */
  CHOICE = 'CHOICE',
  /** A string not in the accepted form: a Kubernetes name, label, key, variable name, identifier. */
  FORMAT = 'FORMAT',
  /** A name longer than its limit, or one that makes a derived object name too long. */
  TOO_LONG = 'TOO_LONG',
  /** Not an accepted URL: absolute http(s), no whitespace, control characters or credentials. */
  URL = 'URL',
  /** Not a host name or an IP address. */
  HOST = 'HOST',
  /** A number, size, CPU quantity or duration out of range, not whole, or not finite. */
  QUANTITY = 'QUANTITY',
  /** Something the construct needs is missing: a namespace, a limit, at least one item. */
  REQUIRED = 'REQUIRED',
  /** The same value twice where each must appear once, or a second of something there is one of. */
  DUPLICATE = 'DUPLICATE',
  /** Two constructs that would emit objects of one kind, namespace and name, or serve one pool. */
  COLLISION = 'COLLISION',
  /** Props that exclude one another, or a value that contradicts another prop. */
  CONFLICT = 'CONFLICT',
  /** Not available with the Prefect release of the image. */
  RELEASE = 'RELEASE',
  /** A construct in another namespace or chart than the one where it has to be. */
  PLACEMENT = 'PLACEMENT',
  /** A name, label, variable, namespace or path the constructs reserve for themselves. */
  RESERVED = 'RESERVED',
  /** `$(` in a value that Prefect copies on, unescaped, into the flow runs' pods, where the kubelet would expand it. */
  EXPANSION = 'EXPANSION',
  /** A value passed to a command as an argument that would be read as an option (a leading `-`). */
  OPTION = 'OPTION',
  /** Not a cron schedule that Kubernetes accepts. */
  CRON = 'CRON',
  /** A file path that is not absolute, is under a system directory, or overlaps another. */
  PATH = 'PATH',
  /** `{{ }}`, which Prefect fills in, in a value of the flow-run job template. */
  PLACEHOLDER = 'PLACEHOLDER',
  /** An image that is not pinned, or whose tag names another Prefect release than the one stated. */
  IMAGE = 'IMAGE',
  /** A container or volume of the user's that would break Pod Security "restricted". */
  POD_SECURITY = 'POD_SECURITY',
  /** A construct that nothing uses. */
  UNUSED = 'UNUSED',
}
