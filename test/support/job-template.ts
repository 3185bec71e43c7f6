/**
 * Renders a work pool's base job template the way the Prefect worker does for a flow run that
 * overrides nothing: each whole-string `{{ variable }}` placeholder becomes the variable's default,
 * or is removed when the variable has none; placeholders inside longer strings become the default
 * or "". The result is the Job the worker would create (before it adds its own env and labels).
 */
import { IConstruct } from 'constructs';
import { PrefectWorkerPool } from '../../src';

type Json = any;

const WHOLE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;
const ANY = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function renderWithDefaults(template: Json): Json {
  const defaults: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries<Json>(template.variables.properties)) {
    if ('default' in schema) defaults[name] = schema.default;
  }
  const unknown = new Set<string>();
  const render = (value: Json): Json => {
    if (typeof value === 'string') {
      const whole = WHOLE.exec(value);
      if (whole) {
        if (!(whole[1] in template.variables.properties)) unknown.add(whole[1]);
        return whole[1] in defaults ? defaults[whole[1]] : REMOVED;
      }
      return value.replace(ANY, (_, name: string) => {
        if (!(name in template.variables.properties)) unknown.add(name);
        return name in defaults ? String(defaults[name]) : '';
      });
    }
    if (Array.isArray(value)) return value.map(render).filter(v => v !== REMOVED);
    if (value && typeof value === 'object') {
      const out: Json = {};
      for (const [k, v] of Object.entries(value)) {
        const r = render(v);
        if (r !== REMOVED) out[k] = r;
      }
      return out;
    }
    return value;
  };
  const configuration = render(template.job_configuration);
  if (unknown.size > 0) throw new Error(`placeholders without a variable: ${[...unknown].join(', ')}`);
  return configuration;
}

const REMOVED = Symbol('removed');

/**
 * The Job as Kubernetes receives it: the worker requires `parallelism` and `completions` in the
 * pod spec (as in Prefect's own default template), where the API server ignores them, and fills
 * generateName from the flow-run name.
 */
export function jobAsApplied(configuration: Json): Json {
  const job = JSON.parse(JSON.stringify(configuration.job_manifest));
  const pod = job.spec.template.spec;
  if (pod.parallelism !== 1 || pod.completions !== 1) throw new Error('the worker requires parallelism: 1 and completions: 1 in the pod spec');
  delete pod.parallelism;
  delete pod.completions;
  job.metadata.name = 'my-flow-run-x7k2p';
  delete job.metadata.generateName;
  return job;
}

/**
 * The flow-run Jobs the pools under `scope` would launch, one per pool with a base job template and
 * job namespace (deployments send runs to the others through the `namespace` variable), named
 * `<pool>-run`.
 */
export function flowRunJobsOf(scope: IConstruct): Json[] {
  const pools = scope.node.findAll().filter((c): c is PrefectWorkerPool => c instanceof PrefectWorkerPool);
  return pools.filter(p => p.baseJobTemplate).flatMap(p => p.jobNamespaces.map(namespace => {
    const job = jobAsApplied(renderWithDefaults(p.baseJobTemplate));
    return { ...job, metadata: { ...job.metadata, name: `${p.name}-run`, namespace } };
  }));
}
