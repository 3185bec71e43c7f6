// One benchmark case, run as a whole process by bench/run.js: loads cdk8s (and the library when
// the case needs it), synthesizes into a scratch directory as `cdk8s synth` does, and prints its
// peak memory.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { App, Chart } = require('cdk8s');
require('cdk8s-plus-27');

const [kind, arg] = process.argv.slice(2);
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
const app = new App({ outdir });
if (kind === 'floor') {
  new Chart(app, 'empty');
} else if (kind === 'variant') {
  const variants = require('../lib/src/examples/variants');
  const build = { minimal: variants.minimal, production: variants.production, 'cloud-workers': variants.cloudWorkers,
    'prefect2-agents': variants.prefect2Agents, 'prefect1-agent': variants.prefect1Agent, dask: variants.dask, enterprise: variants.enterprise }[arg];
  if (!build) throw new Error(`no variant ${arg}`);
  build(app);
} else if (kind === 'pools') {
  const { PrefectPlatform } = require('../lib/src');
  new PrefectPlatform(app, 'pools', { workerPools: Array.from({ length: Number(arg) }, (_, i) => ({ poolName: `pool-${i}` })) });
} else if (kind === 'plain') {
  // The same manifests as plain ApiObjects: what cdk8s itself costs for that output.
  const { ApiObject } = require('cdk8s');
  const chart = new Chart(app, 'plain');
  JSON.parse(fs.readFileSync(arg, 'utf8')).forEach((manifest, i) => new ApiObject(chart, `o${i}`, manifest));
} else {
  throw new Error(`no case ${kind}`);
}
app.synth();
fs.rmSync(outdir, { recursive: true, force: true });
console.log(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
