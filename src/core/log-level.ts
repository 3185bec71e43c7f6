/** Log levels of Prefect's servers, workers and agents. */
export enum PrefectLogLevel {
  /** Everything, including each request: for troubleshooting. */
  DEBUG = 'DEBUG',
  /** Start-up, flow-run and worker activity. */
  INFO = 'INFO',
  /** Problems only (the server's default). */
  WARNING = 'WARNING',
  /** Failures only. */
  ERROR = 'ERROR',
  /** Failures that stop the process only. */
  CRITICAL = 'CRITICAL',
}
