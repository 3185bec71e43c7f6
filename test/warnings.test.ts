/**
 * The warnings channel: choices that are accepted but risky are reported with a stable code and
 * the construct's path, printed at synth (or failing it, or left out, as CDK8S_PREFECT_WARNINGS
 * says), and can be acknowledged.
 */
import { App, Chart, Testing } from 'cdk8s';
import {
  AgentRbac, DaskScratch, IngressAccessControl, IngressTls, NetworkDestination, NetworkIsolation, PrefectApi, PrefectConnection, PrefectImage,
  PlatformServer, PrefectPlatform, PrefectVersion, PrefectWarnings, PrefectWorkerPool, SecretKeyReference, ValidationCode, WarningCode, WorkerRuntime,
} from '../src';
import { inputErrorOf } from './support/synth';

const chartOf = () => new Chart(Testing.app(), 'test', { namespace: 'prefect' });
const codes = (chart: Chart) => PrefectWarnings.of(chart).map(w => `${w.code} ${w.constructPath}`);
const ingress = (tls: IngressTls) => ({ hosts: ['prefect.example.com'], tls, accessControl: IngressAccessControl.none() });

describe('what is warned of', () => {
  test('an ingress without TLS', () => {
    const chart = chartOf();
    new PrefectApi(chart, 'api').exposeViaIngress(ingress(IngressTls.none()));
    new PrefectApi(chart, 'other').exposeViaIngress(ingress(IngressTls.fromSecret('tls')));
    expect(codes(chart).filter(c => c.startsWith('INGRESS_WITHOUT_TLS'))).toEqual(['INGRESS_WITHOUT_TLS test/api/Ingress']);
    expect(PrefectWarnings.of(chart)[0].message).toMatch(/^\[INGRESS_WITHOUT_TLS\] PrefectIngress 'test\/api\/Ingress': tls is IngressTls.none\(\): the UI and the API are served in plain HTTP/);
  });

  test('an ingress that leaves the API open: no access control, or nginx basic auth on the UI alone', () => {
    const chart = chartOf();
    const tls = IngressTls.fromSecret('tls');
    new PrefectApi(chart, 'open').exposeViaIngress(ingress(tls));
    new PrefectApi(chart, 'ui', { image: PrefectImage.official({ version: PrefectVersion.V2_20_25 }) })
      .exposeViaIngress({ ...ingress(tls), accessControl: IngressAccessControl.nginxBasicAuth({ htpasswdSecret: 'htpasswd' }), ingressClassName: 'nginx' });
    const auth = SecretKeyReference.fromSecret('auth', 'auth-string');
    new PrefectApi(chart, 'guarded', { basicAuth: auth }).exposeViaIngress({ ...ingress(tls), accessControl: IngressAccessControl.prefectBasicAuth(auth) });
    expect(codes(chart)).toEqual(['API_WITHOUT_AUTH test/open/Ingress', 'API_WITHOUT_AUTH test/ui/Ingress']);
    expect(PrefectWarnings.of(chart)[0].message).toContain('accessControl is IngressAccessControl.none(): anyone who reaches the host can use the UI and the API');
    expect(PrefectWarnings.of(chart)[1].message).toContain('the UI asks for a password, but /api stays open');
  });

  test('a destination open to every address', () => {
    const platform = new PrefectPlatform(Testing.app(), 'p', {
      networkPolicies: NetworkIsolation.defaultDeny({ flowRunEgress: [NetworkDestination.anywhere([443]), NetworkDestination.cidr('10.0.0.0/8', [5432])] }),
    });
    expect(codes(platform as unknown as Chart)).toEqual(['EGRESS_ANYWHERE p/NetworkPolicies']);
    expect(PrefectWarnings.of(platform)[0].message).toContain('flowRunEgress[0] is NetworkDestination.anywhere([443])');
  });

  test('the Kubernetes API anywhere, kubernetesApiServer being unset where pods call it; DNS to every address', () => {
    const pools = [{ poolName: 'etl' }];
    const given = new PrefectPlatform(Testing.app(), 'p', { workerPools: pools,
      networkPolicies: NetworkIsolation.defaultDeny({ kubernetesApiServer: NetworkDestination.cidr('10.96.0.1/32', [443]) }) });
    const unset = new PrefectPlatform(Testing.app(), 'p', { workerPools: pools });
    const noCaller = new PrefectPlatform(Testing.app(), 'p');
    const dns = new PrefectPlatform(Testing.app(), 'p', { networkPolicies: NetworkIsolation.defaultDeny({ dnsCidrs: ['10.96.0.10/32', '0.0.0.0/0'] }) });
    expect(codes(given as unknown as Chart)).toEqual([]);
    expect(codes(unset as unknown as Chart)).toEqual(['EGRESS_ANYWHERE p/NetworkPolicies']);
    expect(PrefectWarnings.of(unset)[0].message).toContain('kubernetesApiServer is unset: the pods that call the Kubernetes API may connect to every address on ports 443 and 6443');
    expect(codes(noCaller as unknown as Chart)).toEqual([]);
    expect(PrefectWarnings.of(dns).map(w => w.message)).toEqual([expect.stringContaining('dnsCidrs has "0.0.0.0/0": the pods may send DNS traffic (port 53) to every address')]);
  });

  test('a namespace lowered to Pod Security "baseline" for flow-run pods made outside the library', () => {
    const prefect2 = PrefectImage.official({ version: PrefectVersion.V2_20_25 });
    const lowered = new PrefectPlatform(Testing.app(), 'p', { server: PlatformServer.deploy({ image: prefect2 }), networkPolicies: NetworkIsolation.none(),
      workerPools: [{ poolName: 'etl', runtime: WorkerRuntime.prefect2Agent(), image: prefect2 }] });
    const kept = new PrefectPlatform(Testing.app(), 'p', { networkPolicies: NetworkIsolation.none(), workerPools: [{ poolName: 'etl' }] });
    expect(codes(lowered as unknown as Chart)).toEqual(['POD_SECURITY_BASELINE p']);
    expect(PrefectWarnings.of(lowered)[0].message).toContain('workerPools[0] launches flow-run pods whose spec is made outside this library');
    expect(PrefectWarnings.of(lowered)[0].message).toContain('namespace prefect enforces Pod Security "baseline"');
    expect(codes(kept as unknown as Chart)).toEqual([]);
  });

  test('a release newer than the verified one, wherever an image is given', () => {
    const newer = PrefectImage.official({ version: PrefectVersion.of('3.9.0') });
    const chart = chartOf();
    new PrefectApi(chart, 'api', { image: newer });
    new PrefectWorkerPool(chart, 'pool', { connection: PrefectConnection.fromUrl('https://prefect.example.com/api'), poolName: 'etl', image: newer });
    new DaskScratch(chart, 'dask', { image: newer });
    new PrefectApi(chart, 'verified');
    expect(codes(chart)).toEqual(['UNVERIFIED_RELEASE test/api', 'UNVERIFIED_RELEASE test/pool', 'UNVERIFIED_RELEASE test/dask']);
    expect(PrefectWarnings.of(chart)[0].message).toContain('image runs Prefect 3.9.0, newer than 3.8.3');
  });

  test('a mirror whose tag names another release than the one stated', () => {
    const chart = chartOf();
    const mirror = (tag: string) => PrefectImage.fromRegistry(`registry.example.com/prefect:${tag}`, PrefectVersion.V3_8_3);
    new PrefectApi(chart, 'mismatch', { image: mirror('3.4.1-python3.12') });
    new PrefectApi(chart, 'same', { image: mirror('3.8.3-python3.12') });
    new PrefectApi(chart, 'calendar', { image: mirror('2026.11.3') });
    expect(codes(chart)).toEqual(['IMAGE_TAG_RELEASE test/mismatch']);
    expect(PrefectWarnings.of(chart)[0].message).toContain('is said to contain Prefect 3.8.3, but its tag names 3.4.1');
  });

  test('an AgentRbac granted in every namespace', () => {
    const chart = chartOf();
    new AgentRbac(chart, 'wide', { clusterWide: true, manageApiKeySecrets: true });
    new AgentRbac(chart, 'narrow', { name: 'narrow' });
    expect(codes(chart)).toEqual(['CLUSTER_WIDE_RBAC test/wide']);
    expect(PrefectWarnings.of(chart)[0].message).toContain('read and write every Secret of the cluster');
  });

  test('Secrets the flow-run pods need in job namespaces the chart does not fill', () => {
    const chart = chartOf();
    const connection = PrefectConnection.fromUrl('https://prefect.example.com/api', { apiKey: SecretKeyReference.fromSecret('prefect-api', 'key') });
    new PrefectWorkerPool(chart, 'elsewhere', { connection, poolName: 'a', jobTemplate: { namespace: 'runs' }, additionalJobNamespaces: ['team-b'] });
    new PrefectWorkerPool(chart, 'here', { connection, poolName: 'b' });
    expect(codes(chart)).toEqual(['SECRETS_IN_OTHER_NAMESPACES test/elsewhere']);
    expect(PrefectWarnings.of(chart)[0].message).toContain('reference Secret prefect-api in namespaces runs, team-b, where the chart does not create them');
  });
});

describe('how warnings are given', () => {
  const build = (app: App) => {
    const chart = new Chart(app, 'test', { namespace: 'prefect' });
    new AgentRbac(chart, 'rbac', { clusterWide: true });
    return chart;
  };
  const mode = process.env.CDK8S_PREFECT_WARNINGS;
  afterEach(() => {
    process.env.CDK8S_PREFECT_WARNINGS = mode;
    jest.restoreAllMocks();
  });

  test('printed to stderr at synth, once each', () => {
    delete process.env.CDK8S_PREFECT_WARNINGS;
    const written: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation(text => written.push(String(text)) > 0);
    Testing.synth(build(Testing.app()));
    expect(written).toEqual([`Warning: ${PrefectWarnings.of(build(Testing.app()))[0].message}\n`]);
  });

  test('synth errors with "error", nothing with "silent", and a clear error for anything else', () => {
    process.env.CDK8S_PREFECT_WARNINGS = 'error';
    expect(() => Testing.synth(build(Testing.app()))).toThrow(/\[CLUSTER_WIDE_RBAC\] AgentRbac 'test\/rbac'/);
    process.env.CDK8S_PREFECT_WARNINGS = 'silent';
    const write = jest.spyOn(process.stderr, 'write');
    Testing.synth(build(Testing.app()));
    expect(write).not.toHaveBeenCalled();
    process.env.CDK8S_PREFECT_WARNINGS = 'loud';
    expect(() => Testing.synth(build(Testing.app()))).toThrow('CDK8S_PREFECT_WARNINGS "loud" is not accepted: one of print, silent, error');
  });

  test('acknowledged for a construct and all under it', () => {
    process.env.CDK8S_PREFECT_WARNINGS = 'error';
    const chart = build(Testing.app());
    PrefectWarnings.acknowledge(chart, WarningCode.CLUSTER_WIDE_RBAC);
    expect(PrefectWarnings.of(chart)).toEqual([]);
    expect(() => Testing.synth(chart)).not.toThrow();
  });
});

test('a major other than 1, 2 or 3 is rejected', () => {
  for (const version of ['0.15.13', '4.0.0']) {
    let message: string | undefined;
    try {
      PrefectVersion.of(version);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(inputErrorOf(message)).toEqual({ code: ValidationCode.RELEASE, prop: 'version' });
  }
});
