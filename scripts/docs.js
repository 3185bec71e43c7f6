// Writes the generated parts of the docs from the compiled library and its jsii assembly (npm run
// docs): API.md, and the diagrams embedded in the Markdown files. With --check it changes nothing
// and fails when they are out of date.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { App } = require('cdk8s');
const { buildVariants } = require('../lib/src/examples/variants');
const { TopologyDiagram } = require('../lib/src');
const { FILES, embed } = require('./embedded-diagrams');

const check = process.argv.includes('--check');
const root = path.join(__dirname, '..');
const diagrams = new Map(buildVariants(new App()).map(chart => [chart.node.id, TopologyDiagram.ofChart(chart).toMermaid()]));

let stale = 0;
function update(file, wanted, what) {
  const full = path.join(root, file);
  const current = fs.existsSync(full) ? fs.readFileSync(full, 'utf8') : undefined;
  if (wanted === current) return;
  if (check) {
    console.error(`${file}: ${what} out of date (npm run docs)`);
    stale++;
  } else {
    fs.writeFileSync(full, wanted);
    console.log(`${file}: ${what} updated`);
  }
}

for (const file of FILES) update(file, embed(fs.readFileSync(path.join(root, file), 'utf8'), diagrams), 'its diagrams are');

// The API reference, from the TSDoc in the jsii assembly (.jsii) that the build writes.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'api-md-'));
try {
  const output = path.join(scratch, 'API.md');
  execFileSync(require.resolve('jsii-docgen/bin/jsii-docgen'), ['--output', output], { cwd: root, stdio: 'inherit' });
  update('API.md', fs.readFileSync(output, 'utf8'), 'the API reference is');
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
process.exitCode = stale > 0 ? 1 : 0;
