import * as fs from 'node:fs';
import * as path from 'node:path';

/** The programs the pods run, shipped beside the compiled library in `programs/`. */
export enum Program {
  /**
   * Installs the pip packages (the arguments) into `/opt/prefect-packages` (the pool's PACKAGES_DIRECTORY), beside the image's own. Not
   * `pip install --target`, which implies `--ignore-installed` and so reinstalls every dependency,
   * Prefect included, into the directory that comes first on PYTHONPATH: `--prefix` skips what the
   * image has, and the image's packages pinned as constraints make a requirement that needs another
   * version of one of them fail the install instead of shadowing it. The prefix's library
   * directories (as this Python lays out a prefix, the layout pip installs by) are made even when
   * there is nothing to install, and linked to fixed paths, whatever the image's Python version. Run
   * as `python -c` by the worker pods' init container.
   */
  INSTALL_PACKAGES = 'install-packages.py',
  /**
   * Waits until the database schema is the one this release migrates to (alembic's head for the
   * database's dialect), and exits with an error on a schema newer than this release knows. Run
   * before the API and the services of a highly available server, which do not migrate themselves:
   * `/api/ready` only checks that the database answers, so without it a new pod started beside the
   * migration Job would serve on the old schema. Run as `python -c`.
   */
  WAIT_FOR_SCHEMA = 'wait-for-schema.py',
  /**
   * The DaskScratch cleanup: deletes old Dask clusters, finished pods and finished flow-run Jobs,
   * listing by label and deleting by age through the Kubernetes API with the pod's ServiceAccount
   * token (Python standard library only: the official kubectl image has no shell to compare ages).
   */
  DASK_CLEANUP = 'cleanup.py',
  /**
   * The module flow runs import as `DaskTaskRunner(cluster_class="dask_scratch.cluster")`: a
   * KubeCluster from the mounted spec, named after the flow run so that concurrent runs never share
   * a cluster (dask-kubernetes takes the name from the spec as is, and the scheduler Service's
   * selector must carry it too).
   */
  DASK_HELPER = 'dask_scratch.py',
  /**
   * The worker pools' set-up: creates the work pool and its queues, or brings them in line with
   * the data file it is given (`poolSetUpData`). POSIX sh with the Prefect CLI, run by the worker
   * pods' init container.
   */
  APPLY_POOL = 'apply-pool.sh',
}

const loaded = new Map<Program, string>();

/** A program's source, read once; `inline` drops the final line break, for `python -c`. */
export function programSource(program: Program, inline = false): string {
  let source = loaded.get(program);
  if (source === undefined) {
    source = fs.readFileSync(path.join(__dirname, '..', '..', 'programs', program), 'utf8');
    loaded.set(program, source);
  }
  return inline ? source.replace(/\n$/, '') : source;
}
