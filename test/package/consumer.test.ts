/**
 * A user's first hour, as a test: the packed library installed into a fresh cdk8s app outside the
 * repository, the README's examples compiled against its published types, `cdk8s synth`, and the
 * output checked like the variants. Nothing here imports the library from the repository.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'yaml';
import { problems } from '../support/checks';
import { jobAsApplied, renderWithDefaults } from '../support/job-template';

type Json = any;

const root = path.join(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const bin = (pkg: string, file: string) => path.join(root, 'node_modules', pkg, file);

/** Runs a command; a failure reports what it printed. */
function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e: any) {
    throw new Error(`${[command, ...args].join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** The README's complete example apps: `<!-- consumer-app:<name> -->` then a ```ts block. */
const README_APPS = [...fs.readFileSync(path.join(root, 'README.md'), 'utf8')
  .matchAll(/<!-- consumer-app:([a-z-]+) -->\n```ts\n([\s\S]*?)```\n<!-- \/consumer-app:\1 -->/g)]
  .map(m => ({ name: m[1], code: m[2] }));

/** An app with Dask, whose generated DaskCluster code loads only when a DaskScratch is built. */
const DASK_APP = {
  name: 'dask',
  code: `import { App } from 'cdk8s';
import { PrefectImage, PrefectPlatform, PrefectVersion } from 'cdk8s-prefect';

const app = new App();
const flows = PrefectImage.fromRegistry('registry.example.com/flows:1.0.0', PrefectVersion.V3_8_3);
new PrefectPlatform(app, 'prefect', {
  dask: { image: flows, namespace: 'dask-scratch' },
  workerPools: [{ poolName: 'dask', jobTemplate: { image: flows }, useDask: true }],
});
app.synth();
`,
};
const APPS = [...README_APPS, DASK_APP];

let work: string;
let app: string;
let packed: string[];

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-prefect-consumer-'));
  app = path.join(work, 'app');
  fs.mkdirSync(app);
  // What `npm publish` would upload: built now, packed as published.
  run('npm', ['run', 'build'], root);
  const [pack] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root));
  packed = pack.files.map((f: Json) => f.path).sort();
  const peers = ['cdk8s', 'cdk8s-plus-27', 'constructs'];
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({
    name: 'my-prefect-platform',
    private: true,
    dependencies: {
      'cdk8s-prefect': `file:${path.join(work, pack.filename)}`,
      ...Object.fromEntries(peers.map(p => [p, manifest.devDependencies[p]])),
    },
  }, undefined, 2));
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2020', module: 'commonjs', strict: true, types: [], skipLibCheck: false },
    include: ['*.ts'],
  }, undefined, 2));
  fs.writeFileSync(path.join(app, 'cdk8s.yaml'), 'language: typescript\napp: node first.js\n');
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], app);
  for (const example of APPS) fs.writeFileSync(path.join(app, `${example.name}.ts`), example.code);
  // Type-checks the examples against the package's declarations, as the user's build would.
  run(process.execPath, [bin('typescript', 'bin/tsc'), '-p', app], app);
}, 600000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Synthesizes one example app with the cdk8s CLI, into dist-<name>/. */
function synth(name: string): Map<string, Json[]> {
  const output = path.join(app, `dist-${name}`);
  run(process.execPath, [bin('cdk8s-cli', 'bin/cdk8s'), 'synth', '--app', `node ${name}.js`, '--output', output, '--check-upgrade', 'false'], app);
  return new Map(fs.readdirSync(output).map(file => [file, yaml.parseAllDocuments(fs.readFileSync(path.join(output, file), 'utf8')).map(d => d.toJSON())]));
}

/** The flow-run Jobs of the pools whose base job templates are in the output. */
function flowRuns(objects: Json[]): Json[] {
  return objects.filter(o => o.kind === 'ConfigMap' && o.data?.['base-job-template.json'])
    .map(o => jobAsApplied(renderWithDefaults(JSON.parse(o.data['base-job-template.json']))));
}

test('the README has the example apps', () => {
  expect(README_APPS.map(a => a.name)).toEqual(['first', 'platform']);
});

test('the package holds the compiled library, its declarations and source maps, the programs the pods run, the jsii assembly and the docs, and nothing else', () => {
  const unexpected = packed.filter(f => !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', '.jsii'].includes(f)
    && !/^lib\/(src|imports)\/.*\.(js|d\.ts|js\.map)$/.test(f) && !/^lib\/src\/programs\/[a-z_-]+\.(py|sh)$/.test(f));
  expect(unexpected).toEqual([]);
  expect(packed).toEqual(expect.arrayContaining(['lib/src/index.js', 'lib/src/index.d.ts', 'lib/src/index.js.map', 'CHANGELOG.md']));
  expect(packed.filter(f => f.startsWith('lib/src/examples/'))).toEqual([]);
});

test('the installed package requires nothing but Node.js, its peer dependencies and its own packed files, and declares no dependencies', () => {
  const installed = path.join(app, 'node_modules', 'cdk8s-prefect');
  const allowed = new Set(['cdk8s', 'cdk8s-plus-27', 'constructs']);
  const files = new Set(packed);
  const outside: string[] = [];
  const unresolved: string[] = [];
  for (const file of packed.filter(f => f.endsWith('.js'))) {
    for (const m of fs.readFileSync(path.join(installed, file), 'utf8').matchAll(/require\((["'])([^"']+)\1\)/g)) {
      const required = m[2];
      if (required.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), required));
        if (![target, `${target}.js`, `${target}/index.js`].some(t => files.has(t))) unresolved.push(`${file}: ${required}`);
      } else if (!required.startsWith('node:') && !allowed.has(required)) {
        outside.push(`${file}: ${required}`);
      }
    }
  }
  expect(outside).toEqual([]);
  expect(unresolved).toEqual([]);
  // The generated DaskCluster code, required lazily, is among what was checked.
  expect(packed).toContain('lib/imports/kubernetes.dask.org.js');
  // The programs the pods run, read at synth from beside the compiled library.
  for (const program of ['apply-pool.sh', 'cleanup.py', 'dask_scratch.py', 'install-packages.py', 'wait-for-schema.py']) {
    expect(packed).toContain(`lib/src/programs/${program}`);
  }
  const published = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
  expect([published.dependencies, published.bundledDependencies, published.bundleDependencies]).toEqual([undefined, undefined, undefined]);
  expect(Object.keys(published.peerDependencies).sort()).toEqual(['cdk8s', 'cdk8s-plus-27', 'constructs']);
});

test('the package exports what the library\'s index exports', () => {
  const exported = JSON.parse(run(process.execPath, ['-e', 'console.log(JSON.stringify(Object.keys(require("cdk8s-prefect")).sort()))'], app));
  const expected = Object.keys(require('../../src')).sort();
  expect(exported).toEqual(expected);
  expect(exported).toEqual(expect.arrayContaining(['PrefectPlatform', 'PrefectApi', 'PrefectWorkerPool', 'TopologyDiagram']));
});

test('the first-hour app synthesizes the namespace, a SQLite server and a worker pool that pass the checks', () => {
  const files = synth('first');
  expect([...files.keys()]).toEqual(['prefect.k8s.yaml']);
  const objects = files.get('prefect.k8s.yaml')!;
  expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'prefect' } });
  expect(objects.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(expect.arrayContaining([
    'StatefulSet/prefect-server', 'Service/prefect-server', 'Deployment/kubernetes-worker', 'NetworkPolicy/prefect-default-deny',
  ]));
  expect(problems([...objects, ...flowRuns(objects)])).toEqual([]);
});

test('an app with Dask synthesizes the DaskCluster spec from the packed generated code, and passes the checks', () => {
  const objects = synth('dask').get('prefect.k8s.yaml')!;
  const spec = objects.find(o => o.kind === 'ConfigMap' && o.metadata.name === 'dask-cluster');
  expect(yaml.parse(spec.data['daskcluster.yaml'])).toMatchObject({ apiVersion: 'kubernetes.dask.org/v1', kind: 'DaskCluster' });
  // The helper module and the cleanup come from the package's program files, as they are in git.
  const source = (name: string) => fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'programs', name), 'utf8');
  expect(spec.data['dask_scratch.py']).toBe(source('dask_scratch.py'));
  expect(objects.find(o => o.kind === 'ConfigMap' && o.metadata.name === 'dask-cleanup').data['cleanup.py']).toBe(source('cleanup.py'));
  expect(objects.filter(o => o.kind === 'Namespace').map(o => o.metadata.name)).toEqual(['prefect', 'dask-scratch']);
  expect(problems([...objects, ...flowRuns(objects)])).toEqual([]);
});

test('the PrefectPlatform example synthesizes PostgreSQL, the ingress, both pools and the reports namespace, and passes the checks', () => {
  const objects = synth('platform').get('prefect.k8s.yaml')!;
  expect(objects.filter(o => o.kind === 'Namespace').map(o => o.metadata.name)).toEqual(['prefect', 'prefect-reports']);
  expect(objects.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(expect.arrayContaining([
    'Deployment/prefect-server', 'Ingress/prefect-server', 'Deployment/etl-worker', 'Deployment/reports-worker',
  ]));
  const server = objects.find(o => o.kind === 'Deployment' && o.metadata.name === 'prefect-server');
  const env = Object.fromEntries(server.spec.template.spec.containers[0].env.map((e: Json) => [e.name, e.value ?? e.valueFrom]));
  expect(env.PREFECT_SERVER_UI_API_URL).toBe('https://prefect.example.com/api');
  expect(env.PREFECT_SERVER_DATABASE_CONNECTION_URL).toEqual({ secretKeyRef: { name: 'prefect-db', key: 'connection-url' } });
  expect(problems([...objects, ...flowRuns(objects)])).toEqual([]);
});
