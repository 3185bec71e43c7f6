// Regenerates imports/ from the Dask operator's DaskCluster CRD: the cdk8s types, and the CRD's
// OpenAPI schema, which the tests validate cluster specs against.
// Usage: node scripts/import-dask-crd.js [path to daskcluster.yaml]
const { execFileSync } = require('child_process');
const { readFileSync, writeFileSync } = require('fs');
const { join, resolve } = require('path');
const yaml = require('yaml');

// Relative to the project, as cdk8s.yaml lists it (cdk8s import adds the path it is given there).
const crdPath = process.argv[2] ?? '../shared/crds/dask/daskcluster.yaml';
const root = join(__dirname, '..');
execFileSync('npx', ['cdk8s', 'import', crdPath, '--output', 'imports'], { cwd: root, stdio: 'inherit' });
const crd = yaml.parse(readFileSync(resolve(root, crdPath), 'utf8'));
const schema = crd.spec.versions.find(v => v.name === 'v1').schema.openAPIV3Schema;
writeFileSync(join(root, 'imports', 'kubernetes.dask.org.schema.json'), `${JSON.stringify(schema, undefined, 1)}\n`);
