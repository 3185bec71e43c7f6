import { App, Chart, Testing } from 'cdk8s';

type Json = any;

/** Synthesizes what `build` adds to a fresh chart in namespace `prefect` (null: a chart without namespace). */
export function synth(build: (chart: Chart) => void, namespace: string | null = 'prefect'): Json[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: namespace ?? undefined });
  build(chart);
  return Testing.synth(chart);
}

/** The message of the error that building or synthesizing `build` throws, or undefined if none. */
export function synthError(build: (chart: Chart) => unknown, namespace: string | null = 'prefect'): string | undefined {
  try {
    synth(chart => { build(chart); }, namespace);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Synthesizes every chart of an app, by chart id. */
export function synthApp(app: App): Map<string, Json[]> {
  return new Map(app.charts.map(chart => [chart.node.id, Testing.synth(chart)]));
}

/** The one object of that kind (and name); fails the test if there is not exactly one. */
export function only(objects: Json[], kind: string, name?: string): Json {
  const found = objects.filter(o => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}: ${found.map(o => o.metadata.name).join(', ')}`);
  }
  return found[0];
}

export function kinds(objects: Json[]): string[] {
  return objects.map(o => `${o.kind}/${o.metadata.name}`).sort();
}

export function podSpecOf(workload: Json): Json {
  return workload.spec.template.spec;
}

export function containerOf(workload: Json, name: string): Json {
  const found = podSpecOf(workload).containers.filter((c: Json) => c.name === name);
  if (found.length !== 1) throw new Error(`expected one container ${name} in ${workload.kind}/${workload.metadata.name}`);
  return found[0];
}

/** A container's environment as name → literal value, or `secret:<name>/<key>` for Secret references. */
export function envOf(container: Json): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.name in env) throw new Error(`variable ${e.name} is set twice in container ${container.name}`);
    const ref = e.valueFrom?.secretKeyRef;
    env[e.name] = ref ? `secret:${ref.name}/${ref.key}` : e.value;
  }
  return env;
}

/**
 * The code and the prop of an input error's message, `[<code>] <Construct> '<path>': <prop> <value> is
 * not accepted: ...` (alone, or first in cdk8s's list of validation errors; a static factory such as
 * `PrefectImage.official` stands for the construct), or undefined.
 */
export function inputErrorOf(message: string | undefined): { code: string; prop: string } | undefined {
  const match = /\[([A-Z_]+)\] (?:\w+ '[^']*'|\w+\.\w+): (\S+) /.exec(message ?? '');
  return match ? { code: match[1], prop: match[2] } : undefined;
}
