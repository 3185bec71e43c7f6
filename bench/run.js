// npm run bench: times whole processes over several runs (median and spread) and writes the
// figures to bench/results.json. The floor is Node loading cdk8s and cdk8s-plus-27 and
// synthesizing an empty chart. Each case runs in turn with the floor and with the same manifests
// synthesized as plain ApiObjects (what cdk8s costs for that output), so that its ratio to the
// floor and what the library adds are taken run by run, under the same load.
//   node bench/run.js [--quick]   (--quick: fewer runs, no 1,000-pool case, no npm test)
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { App } = require('cdk8s');

const root = path.join(__dirname, '..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-manifests-'));
const quick = process.argv.includes('--quick');
const node = process.execPath;

const round = (x) => Math.round(x * 10) / 10;
const round2 = (x) => Math.round(x * 100) / 100;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One run of a whole process: its wall time and the peak memory it reports. */
function run(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(args[0], args.slice(1), { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  const last = result.stdout.trim().split('\n').pop() ?? '';
  return { ms, peakMiB: last.startsWith('{') ? JSON.parse(last).maxRssKiB / 1024 : undefined };
}

const floorArgs = [node, 'bench/case.js', 'floor'];
const floorTimes = [];

/**
 * Runs the case, the floor and (when given) the plain-ApiObject equivalent in turn, `runs` times
 * after one untimed round that warms the file cache.
 */
function measure(name, runs, args, plainArgs) {
  const rounds = [];
  for (let i = 0; i <= runs; i++) {
    const round = { floor: run(floorArgs), case: run(args), plain: plainArgs ? run(plainArgs) : undefined };
    if (i > 0) rounds.push(round);
  }
  floorTimes.push(...rounds.map(r => r.floor.ms));
  const times = rounds.map(r => r.case.ms);
  const result = {
    name,
    runs,
    medianMs: round(median(times)),
    minMs: round(Math.min(...times)),
    maxMs: round(Math.max(...times)),
    ratioToFloor: round2(median(rounds.map(r => r.case.ms / r.floor.ms))),
    peakMiB: rounds[0].case.peakMiB !== undefined ? round(Math.max(...rounds.map(r => r.case.peakMiB))) : undefined,
  };
  if (plainArgs) {
    result.plainMedianMs = round(median(rounds.map(r => r.plain.ms)));
    result.plainRatioToFloor = round2(median(rounds.map(r => r.plain.ms / r.floor.ms)));
    const added = rounds.map(r => r.case.ms - r.plain.ms);
    result.libraryMs = { median: round(median(added)), min: round(Math.min(...added)), max: round(Math.max(...added)) };
  }
  console.error(`  ${name}: ${result.medianMs} ms (${result.ratioToFloor}x floor)`);
  return result;
}

/** Writes a chart's manifests to a scratch file, for the plain-ApiObject case of the same output. */
function plainCase(build) {
  const file = path.join(scratch, `${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(build(new App()).toJson()));
  return [node, 'bench/case.js', 'plain', file];
}

const runs = quick ? 3 : 7;
const variants = require('../lib/src/examples/variants');
const { PrefectPlatform } = require('../lib/src');
const builders = {
  minimal: variants.minimal, production: variants.production, 'cloud-workers': variants.cloudWorkers,
  'prefect2-agents': variants.prefect2Agents, 'prefect1-agent': variants.prefect1Agent, dask: variants.dask, enterprise: variants.enterprise,
};
const platformOf = (n) => (app) => new PrefectPlatform(app, 'pools', { workerPools: Array.from({ length: n }, (_, i) => ({ poolName: `pool-${i}` })) });

console.error('measuring (whole processes):');
const cases = [];
for (const [variant, build] of Object.entries(builders)) {
  cases.push(measure(`variant ${variant}`, runs, [node, 'bench/case.js', 'variant', variant], plainCase(build)));
}
const poolCounts = quick ? [10, 100] : [10, 100, 1000];
const pools = poolCounts.map(n => measure(`${n} pools`, n === 1000 ? 3 : quick ? 3 : 5, [node, 'bench/case.js', 'pools', String(n)], plainCase(platformOf(n))));
cases.push(...pools);
const cliOut = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cli-'));
cases.push(measure('cdk8s synth (the CLI, all variants)', quick ? 2 : 3,
  [node, path.join(root, 'node_modules/cdk8s-cli/bin/cdk8s'), 'synth', '--check-upgrade', 'false', '--output', cliOut]));
if (!quick) cases.push(measure('npm test (after a warm-up run)', 1, ['npm', 'test']));
fs.rmSync(scratch, { recursive: true, force: true });
fs.rmSync(cliOut, { recursive: true, force: true });

const byCount = Object.fromEntries(poolCounts.map((n, i) => [n, pools[i].medianMs]));
const msPerPool = {};
for (let i = 1; i < poolCounts.length; i++) {
  const [a, b] = [poolCounts[i - 1], poolCounts[i]];
  msPerPool[`${a}-${b}`] = round2((byCount[b] - byCount[a]) / (b - a));
}
const floor = { name: 'floor: cdk8s + cdk8s-plus-27, empty chart', runs: floorTimes.length, medianMs: round(median(floorTimes)),
  minMs: round(Math.min(...floorTimes)), maxMs: round(Math.max(...floorTimes)) };
const results = {
  date: new Date().toISOString(),
  machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: round(os.totalmem() / 2 ** 30) },
  floor,
  cases,
  msPerPool,
  growth: byCount[1000] !== undefined ? { '1000 pools / 100 pools': round2(byCount[1000] / byCount[100]) } : undefined,
};

const columns = ['case', 'median ms', 'min-max ms', 'x floor', 'plain x floor', 'library ms', 'peak MiB'];
const widths = [40, 10, 18, 8, 14, 22, 9];
const row = (cells) => cells.map((c, i) => String(c ?? '').padEnd(widths[i])).join(' ');
console.log(`\n${row(columns)}`);
console.log(row([floor.name, floor.medianMs, `${floor.minMs}-${floor.maxMs}`, 1]));
for (const c of cases) {
  const library = c.libraryMs ? `${c.libraryMs.median} (${c.libraryMs.min} to ${c.libraryMs.max})` : '';
  console.log(row([c.name, c.medianMs, `${c.minMs}-${c.maxMs}`, c.ratioToFloor, c.plainRatioToFloor, library, c.peakMiB]));
}
console.log('\nx floor: the median of the run-by-run ratios; plain: the same manifests as plain ApiObjects (what cdk8s');
console.log('costs for that output); library ms: the case minus plain, run by run');
console.log(`ms per pool: ${Object.entries(msPerPool).map(([k, v]) => `${v} (${k})`).join(', ')}`);
if (results.growth) console.log(`1000 pools take ${results.growth['1000 pools / 100 pools']}x the 100-pool time`);
if (!quick) {
  fs.writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify(results, undefined, 2)}\n`);
  console.log('\nwritten to bench/results.json');
}
