/**
 * Starts one control plane per release built by scripts/cluster-setup.sh before the cluster suite,
 * and writes where they are to the file CDK8S_PREFECT_CLUSTERS names, for the test files.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtReleases, ClusterInfo, pinnedReleases, startControlPlane, stopControlPlane } from './control-plane';

export default async function globalSetup(): Promise<void> {
  const releases = builtReleases();
  // Every release pinned under tools/ runs, unless KUBE_RELEASES picks some.
  const missing = process.env.KUBE_RELEASES ? [] : pinnedReleases().filter(r => !releases.includes(r));
  if (releases.length === 0 || missing.length > 0) {
    throw new Error(`control planes not built: ${missing.join(', ') || 'any'}; run bash scripts/cluster-setup.sh first`);
  }
  const started: ClusterInfo[] = [];
  try {
    // One after the other: two API servers starting at once on two cores starve each other.
    for (const release of releases) started.push(await startControlPlane(release));
  } catch (e) {
    for (const info of started) await stopControlPlane(info);
    throw e;
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'clusters-')), 'clusters.json');
  fs.writeFileSync(file, JSON.stringify(started, undefined, 2));
  process.env.CDK8S_PREFECT_CLUSTERS = file;
}
