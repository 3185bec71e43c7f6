/**
 * What every scenario sets up: the stand-in Kubernetes API, the local cluster of the objects, and
 * the steps that start a server or a worker and wait for their probes.
 */
import { Endpoint } from '../../support/network-policies';
import { only } from '../../support/synth';
import { NamespacedData } from './kubelet';
import { KubernetesApiStandIn } from './kubernetes-api';
import { LocalCluster, Pod } from './local-cluster';
import { eventually, imageFor, PrefectClient, workDir } from './runtime';

type Json = any;

export interface ScenarioOptions {
  /** Secrets that exist, by namespace. */
  readonly secrets?: NamespacedData;
  /** Images other than the official ones, by reference, with the Prefect major release they hold. */
  readonly images?: Record<string, 2 | 3>;
  /** Host names outside the manifests and their addresses. */
  readonly extraHosts?: Record<string, string>;
  /** A real API server the pods reach instead of the stand-in, with the tokens it issued. */
  readonly kubernetesApi?: { port: number; caCert: string; tokens: Record<string, string> };
}

export class Scenario {
  /** Starts the stand-in Kubernetes API and makes the cluster of the objects. */
  public static async start(name: string, objects: Json[], options: ScenarioOptions = {}): Promise<Scenario> {
    const dir = workDir(name);
    const kubernetes = new KubernetesApiStandIn(dir);
    if (!options.kubernetesApi) await kubernetes.start();
    const cluster = new LocalCluster({
      objects,
      secrets: options.secrets,
      imageFor: imageFor(options.images),
      extraHosts: options.extraHosts,
      workDir: dir,
      kubernetesApi: options.kubernetesApi ?? { port: kubernetes.port, caCert: kubernetes.caCert },
    });
    return new Scenario(dir, objects, kubernetes, cluster);
  }

  private constructor(
    public readonly dir: string,
    public readonly objects: Json[],
    public readonly kubernetes: KubernetesApiStandIn,
    public readonly cluster: LocalCluster,
  ) {}

  /** Starts a pod of the server workload and waits until it is ready; returns it and a client of its API. */
  public async startServer(kind: string, name: string, authString?: string): Promise<{ pod: Pod; client: PrefectClient }> {
    const pod = this.cluster.podOf(only(this.objects, kind, name));
    await pod.startAll();
    await pod.waitFor('prefect-server', 'startupProbe', 180);
    await pod.waitFor('prefect-server', 'readinessProbe', 60);
    return { pod, client: new PrefectClient(`http://${pod.ip}:4200/api`, authString) };
  }

  /** Starts a pod of a worker Deployment (its set-up first) and waits until its health check answers. */
  public async startWorker(name: string): Promise<Pod> {
    const pod = this.cluster.podOf(only(this.objects, 'Deployment', name));
    await pod.startAll();
    await pod.waitFor('prefect-worker', 'startupProbe', 120);
    return pod;
  }

  /** The Job the worker submitted for the flow run, once it has. */
  public jobFor(flowRunId: string): Promise<Json> {
    return eventually(`the Job of flow run ${flowRunId}`,
      async () => this.kubernetes.jobs.find(j => j.metadata.labels?.['prefect.io/flow-run-id'] === flowRunId), 120);
  }

  /** The server's pods as the network policies see them. */
  public serverEndpoint(kind: string, name: string): Endpoint {
    const server = only(this.objects, kind, name);
    return { id: `${kind}/${name}`, namespace: server.metadata.namespace, labels: server.spec.template.metadata.labels, ports: [{ name: 'http', containerPort: 4200 }] };
  }

  public async stop(): Promise<void> {
    await this.cluster.stop();
    await this.kubernetes.stop().catch(() => undefined);
  }
}
