/** Stops the control planes the global setup started. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClusterInfo, stopControlPlane } from './control-plane';

export default async function globalTeardown(): Promise<void> {
  const file = process.env.CDK8S_PREFECT_CLUSTERS;
  if (!file || !fs.existsSync(file)) return;
  for (const info of JSON.parse(fs.readFileSync(file, 'utf8')) as ClusterInfo[]) await stopControlPlane(info);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}
