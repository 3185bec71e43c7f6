import { Testing } from 'cdk8s';
import { buildVariants } from '../src/examples/variants';
import { problems } from './support/checks';
import { kinds, synthApp } from './support/synth';

const app = Testing.app();
buildVariants(app);
const variants = synthApp(app);

test('the example app has the documented variants', () => {
  expect([...variants.keys()]).toEqual(['minimal', 'production']);
});

describe.each([...variants.keys()])('variant %s', (variant) => {
  const objects = variants.get(variant)!;

  test('every object is accepted by Kubernetes 1.27, passes Pod Security "restricted", and references only what exists', () => {
    expect(problems(objects)).toEqual([]);
  });

  test('every object carries the recommended labels', () => {
    for (const o of objects) {
      for (const label of ['name', 'instance', 'component', 'part-of', 'managed-by', 'version']) {
        expect(o.metadata.labels).toHaveProperty([`app.kubernetes.io/${label}`]);
      }
    }
  });

  test('matches the snapshot', () => {
    expect(objects).toMatchSnapshot();
  });
});

test('minimal: the SQLite server and nothing else', () => {
  expect(kinds(variants.get('minimal')!)).toEqual(['Service/prefect-server', 'StatefulSet/prefect-server']);
});

test('production: the highly available server on PostgreSQL', () => {
  expect(kinds(variants.get('production')!)).toEqual([
    'Deployment/prefect-server',
    'Deployment/prefect-server-services',
    expect.stringMatching(/^Job\/prefect-server-migrate-[0-9a-f]{8}$/),
    'PodDisruptionBudget/prefect-server',
    'Service/prefect-server',
  ]);
});
