/**
 * What the kubelet does to a container spec before the process starts, as Kubernetes documents it:
 * the environment (in order, `$(VAR)` expanded from the variables before it, Secret and ConfigMap
 * references resolved in the pod's namespace, downward API fields), the command line (the image's
 * entrypoint unless `command` is given, `$(VAR)` expanded) and the pod's volumes.
 */

type Json = any;

/** Secret or ConfigMap data by namespace, then name, then key. */
export type NamespacedData = Record<string, Record<string, Record<string, string>>>;

/** An error the kubelet reports instead of starting the container. */
export class CreateContainerConfigError extends Error {}

/**
 * Kubernetes' `$(VAR)` expansion (k8s.io/kubernetes third_party/forked/golang/expansion):
 * `$(NAME)` becomes the value of NAME when it is defined and stays as written otherwise; `$$`
 * becomes `$`; any other `$x` stays.
 */
export function expand(input: string, vars: Map<string, string>): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      i += 1;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += vars.has(name) ? vars.get(name) : `$(${name})`;
      i = close + 1;
    } else {
      out += `$${next}`;
      i += 2;
    }
  }
  return out;
}

export interface PodFacts {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly ip: string;
  readonly serviceAccountName: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

function fieldValue(path: string, pod: PodFacts): string {
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label) return pod.labels[label[1]] ?? '';
  const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(path);
  if (annotation) return pod.annotations[annotation[1]] ?? '';
  const fields: Record<string, string> = {
    'metadata.name': pod.name,
    'metadata.namespace': pod.namespace,
    'metadata.uid': pod.uid,
    'spec.nodeName': 'runtime-node',
    'spec.serviceAccountName': pod.serviceAccountName,
    'status.podIP': pod.ip,
    'status.hostIP': pod.ip,
  };
  if (!(path in fields)) throw new CreateContainerConfigError(`fieldRef ${path} is not supported`);
  return fields[path];
}

function reference(data: NamespacedData, kind: string, namespace: string, ref: Json): string | undefined {
  const object = data[namespace]?.[ref.name];
  const value = object?.[ref.key];
  if (value === undefined && !ref.optional) {
    throw new CreateContainerConfigError(`${kind} ${namespace}/${ref.name} has no key ${ref.key} (or does not exist in namespace ${namespace})`);
  }
  return value;
}

/** What the kubelet makes of a container's environment. */
export interface ContainerEnvironment {
  /** The variables the kubelet sets (`$(VAR)` expands from these, not from the image's). */
  readonly kubelet: Map<string, string>;
  /** The process's environment: the image's, the runtime's HOSTNAME, then the kubelet's. */
  readonly process: Map<string, string>;
}

/**
 * The container's environment: the variables the kubelet always sets (the `kubernetes` Service's,
 * whatever enableServiceLinks says), then the container's `envFrom` and `env` in order, over the
 * image's.
 */
export function containerEnv(container: Json, pod: PodFacts, imageEnv: Record<string, string>,
  secrets: NamespacedData, configMaps: NamespacedData, kubernetesService: { host: string; port: number }): ContainerEnvironment {
  const { host, port } = kubernetesService;
  const vars = new Map<string, string>([
    ['KUBERNETES_SERVICE_HOST', host],
    ['KUBERNETES_SERVICE_PORT', String(port)],
    ['KUBERNETES_SERVICE_PORT_HTTPS', String(port)],
    ['KUBERNETES_PORT', `tcp://${host}:${port}`],
    [`KUBERNETES_PORT_${port}_TCP`, `tcp://${host}:${port}`],
    [`KUBERNETES_PORT_${port}_TCP_PROTO`, 'tcp'],
    [`KUBERNETES_PORT_${port}_TCP_PORT`, String(port)],
    [`KUBERNETES_PORT_${port}_TCP_ADDR`, host],
  ]);
  for (const from of container.envFrom ?? []) {
    const source = from.secretRef ? secrets[pod.namespace]?.[from.secretRef.name] : configMaps[pod.namespace]?.[from.configMapRef?.name];
    const optional = (from.secretRef ?? from.configMapRef).optional;
    if (!source && !optional) throw new CreateContainerConfigError(`envFrom ${JSON.stringify(from)}: not in namespace ${pod.namespace}`);
    for (const [key, value] of Object.entries(source ?? {})) vars.set(`${from.prefix ?? ''}${key}`, value);
  }
  for (const e of container.env ?? []) {
    let value: string | undefined;
    if (e.valueFrom?.secretKeyRef) value = reference(secrets, 'Secret', pod.namespace, e.valueFrom.secretKeyRef);
    else if (e.valueFrom?.configMapKeyRef) value = reference(configMaps, 'ConfigMap', pod.namespace, e.valueFrom.configMapKeyRef);
    else if (e.valueFrom?.fieldRef) value = fieldValue(e.valueFrom.fieldRef.fieldPath, pod);
    else if (e.valueFrom) throw new CreateContainerConfigError(`env ${e.name}: ${JSON.stringify(e.valueFrom)} is not supported`);
    else value = expand(e.value ?? '', vars);
    if (value !== undefined) vars.set(e.name, value);
  }
  return { kubelet: vars, process: new Map([...Object.entries(imageEnv), ['HOSTNAME', pod.name], ...vars]) };
}

/** The process's argv: `command` (or the image's entrypoint) and `args` (or the image's cmd), expanded from the kubelet's variables. */
export function containerArgv(container: Json, vars: Map<string, string>, image: { entrypoint: string[]; cmd: string[] }): string[] {
  const command: string[] = container.command ?? image.entrypoint;
  // A command without args drops the image's cmd, as the kubelet does.
  const args: string[] = container.args ?? (container.command ? [] : image.cmd);
  return [...command, ...args].map(a => expand(a, vars));
}
