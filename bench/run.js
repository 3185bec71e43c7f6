// npm run bench: times whole processes over several runs (median and spread) and writes the
// figures to bench/results.json. The floor is Node loading cdk8s and cdk8s-plus-27 and
// synthesizing an empty chart; every other case is given as a ratio to it.
//   node bench/run.js [--quick]   (--quick: fewer runs, no 1,000-pool case, no npm test)
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-manifests-'));
const quick = process.argv.includes('--quick');

function time(command, args, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', ...options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return { ms, stdout: result.stdout };
}

function measure(name, runs, command, args, options) {
  const times = [];
  let peak = 0;
  time(command, args, options); // warms the file cache
  for (let i = 0; i < runs; i++) {
    const { ms, stdout } = time(command, args, options);
    times.push(ms);
    const line = stdout.trim().split('\n').pop();
    if (line && line.startsWith('{')) peak = Math.max(peak, JSON.parse(line).maxRssKiB / 1024);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const result = { name, runs, medianMs: round(median), minMs: round(times[0]), maxMs: round(times[times.length - 1]), peakMiB: peak ? round(peak) : undefined };
  console.error(`  ${name}: ${result.medianMs} ms`);
  return result;
}

const round = (x) => Math.round(x * 10) / 10;

/** Writes a chart's manifests to a scratch file, for the plain-ApiObject case of the same output. */
function manifestsOf(build) {
  const { App } = require('cdk8s');
  const file = path.join(scratch, `${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(build(new App()).toJson()));
  return file;
}
const node = process.execPath;
const runs = quick ? 3 : 7;
const cases = [];

console.error('measuring (whole processes):');
const floor = measure('floor: cdk8s + cdk8s-plus-27, empty chart', runs, node, ['bench/case.js', 'floor']);
cases.push(floor);
const variants = require('../lib/src/examples/variants');
const builders = { minimal: variants.minimal, production: variants.production, 'cloud-workers': variants.cloudWorkers,
  'prefect2-agents': variants.prefect2Agents, 'prefect1-agent': variants.prefect1Agent, dask: variants.dask };
for (const [variant, build] of Object.entries(builders)) {
  const measured = measure(`variant ${variant}`, runs, node, ['bench/case.js', 'variant', variant]);
  const plain = measure(`  same output as plain ApiObjects`, runs, node, ['bench/case.js', 'plain', manifestsOf(build)]);
  measured.libraryMs = round(measured.medianMs - plain.medianMs);
  cases.push(measured, plain);
}
const poolCounts = quick ? [10, 100] : [10, 100, 1000];
const pools = [];
for (const n of poolCounts) {
  const poolRuns = n === 1000 ? 3 : quick ? 3 : 5;
  const measured = measure(`${n} pools`, poolRuns, node, ['bench/case.js', 'pools', String(n)]);
  const { PrefectPlatform } = require('../lib/src');
  const file = manifestsOf(app => new PrefectPlatform(app, 'pools', { workerPools: Array.from({ length: n }, (_, i) => ({ poolName: `pool-${i}` })) }));
  const plain = measure(`  same output as plain ApiObjects`, poolRuns, node, ['bench/case.js', 'plain', file]);
  measured.libraryMs = round(measured.medianMs - plain.medianMs);
  pools.push(measured);
  cases.push(measured, plain);
}
const cli = measure('npx cdk8s synth (all variants)', quick ? 2 : 3, node, [path.join(root, 'node_modules/cdk8s-cli/bin/cdk8s'), 'synth', '--check-upgrade', 'false', '--output', fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cli-'))]);
cases.push(cli);
if (!quick) cases.push(measure('npm test', 1, 'npm', ['test'], { env: { ...process.env, CI: 'true' } }));

for (const c of cases) c.ratioToFloor = Math.round(c.medianMs / floor.medianMs * 100) / 100;
const byCount = Object.fromEntries(poolCounts.map((n, i) => [n, pools[i].medianMs]));
const perPool = {};
for (let i = 1; i < poolCounts.length; i++) {
  const [a, b] = [poolCounts[i - 1], poolCounts[i]];
  perPool[`${a}-${b}`] = Math.round((byCount[b] - byCount[a]) / (b - a) * 100) / 100;
}
const results = {
  date: new Date().toISOString(),
  machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: round(os.totalmem() / 2 ** 30) },
  cases,
  msPerPool: perPool,
  growth: byCount[1000] !== undefined ? { '1000 pools / 100 pools': Math.round(byCount[1000] / byCount[100] * 100) / 100 } : undefined,
};

console.log('\ncase'.padEnd(46) + 'median ms'.padStart(11) + '   min-max ms'.padEnd(20) + 'x floor'.padStart(8) + 'peak MiB'.padStart(10) + 'library ms'.padStart(12));
for (const c of cases) {
  console.log(c.name.padEnd(45) + String(c.medianMs).padStart(11) + `   ${c.minMs}-${c.maxMs}`.padEnd(20) + String(c.ratioToFloor).padStart(8)
    + String(c.peakMiB ?? '').padStart(10) + String(c.libraryMs ?? '').padStart(12));
}
console.log('\nlibrary ms: the case minus the same manifests synthesized as plain ApiObjects (what cdk8s costs for that output)');
console.log(`\nms per pool: ${Object.entries(perPool).map(([k, v]) => `${v} (${k})`).join(', ')}`);
if (results.growth) console.log(`1000 pools take ${results.growth['1000 pools / 100 pools']}x the 100-pool time`);
fs.rmSync(scratch, { recursive: true, force: true });
if (!quick) {
  fs.writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify(results, undefined, 2)}\n`);
  console.log('\nwritten to bench/results.json');
}
