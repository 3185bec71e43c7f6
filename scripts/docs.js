// Writes the generated parts of the docs from the compiled library (npm run docs), or with
// --check fails when they are out of date.
'use strict';

const fs = require('fs');
const path = require('path');
const { App } = require('cdk8s');
const { buildVariants } = require('../lib/src/examples/variants');
const { TopologyDiagram } = require('../lib/src');
const { FILES, embed } = require('./embedded-diagrams');

const check = process.argv.includes('--check');
const root = path.join(__dirname, '..');
const diagrams = new Map(buildVariants(new App()).map(chart => [chart.node.id, TopologyDiagram.ofChart(chart).toMermaid()]));

let stale = 0;
for (const file of FILES) {
  const full = path.join(root, file);
  const current = fs.readFileSync(full, 'utf8');
  const wanted = embed(current, diagrams);
  if (wanted === current) continue;
  if (check) {
    console.error(`${file}: its diagrams are out of date (npm run docs)`);
    stale++;
  } else {
    fs.writeFileSync(full, wanted);
    console.log(`${file}: diagrams updated`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
