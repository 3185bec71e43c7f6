import { Chart, Testing } from 'cdk8s';
import {
  ExternalServiceType, IngressAccessControl, IngressTls, PrefectApi, PrefectApiProps, PrefectConnection, PrefectImage,
  PrefectIngress, PrefectIngressOptions, PrefectVersion, PrefectWorkerPool, SecretKeyReference,
} from '../src';
import { problems } from './support/checks';
import { containerOf, envOf, kinds, only, synth } from './support/synth';

type Json = any;

const secret = SecretKeyReference.fromSecret;
const base: PrefectIngressOptions = {
  hosts: ['prefect.example.com'],
  tls: IngressTls.fromSecret('prefect-tls'),
  accessControl: IngressAccessControl.none(),
};
const v2 = PrefectImage.official({ version: PrefectVersion.V2_20_25 });

/** A server with an ingress (and optionally a pool created before the ingress). */
function exposed(options: Partial<PrefectIngressOptions> = {}, apiProps: PrefectApiProps = {}, withPool = false) {
  let ingress: PrefectIngress | undefined;
  const objects = synth(chart => {
    const api = new PrefectApi(chart, 'Server', apiProps);
    if (withPool) new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'k8s' });
    ingress = api.exposeViaIngress({ ...base, ...options });
  });
  return { objects, ingress: ingress!, server: containerOf(objects.find(o => o.kind === 'StatefulSet' || (o.kind === 'Deployment' && o.metadata.name === 'prefect-server')), 'prefect-server') };
}

const routes = (ingress: Json) => ingress.spec.rules.map((r: Json) => [r.host, r.http.paths.map((p: Json) => `${p.path} -> ${p.backend.service.name}:${p.backend.service.port.number}`)]);

describe('PrefectIngress', () => {
  test('routes the UI and /api of every host to the server\'s Service, and gives the UI the first host\'s API URL', () => {
    const { objects, server, ingress } = exposed({ hosts: ['prefect.example.com', 'prefect.internal.example.com'], ingressClassName: 'nginx' });
    expect(problems(objects)).toEqual([]);
    expect(kinds(objects)).toEqual(['Ingress/prefect-server', 'Service/prefect-server', 'ServiceAccount/prefect-server', 'StatefulSet/prefect-server']);
    const resource = only(objects, 'Ingress');
    expect(routes(resource)).toEqual([
      ['prefect.example.com', ['/api -> prefect-server:4200', '/ -> prefect-server:4200']],
      ['prefect.internal.example.com', ['/api -> prefect-server:4200', '/ -> prefect-server:4200']],
    ]);
    expect(resource.spec.rules[0].http.paths.map((p: Json) => p.pathType)).toEqual(['Prefix', 'Prefix']);
    expect(resource.spec.ingressClassName).toBe('nginx');
    expect(resource.spec.tls).toEqual([{ hosts: ['prefect.example.com', 'prefect.internal.example.com'], secretName: 'prefect-tls' }]);
    expect(envOf(server).PREFECT_SERVER_UI_API_URL).toBe('https://prefect.example.com/api');
    expect(ingress.url).toBe('https://prefect.example.com');
    expect(ingress.uiApiUrl).toBe('https://prefect.example.com/api');
    expect(ingress.api.uiApiUrl).toBe('https://prefect.example.com/api');
  });

  test('TLS from cert-manager: the issuer annotation and a Secret for the certificate', () => {
    const cluster = only(exposed({ tls: IngressTls.certManager({ clusterIssuer: 'letsencrypt' }) }).objects, 'Ingress');
    expect(cluster.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
    expect(cluster.spec.tls).toEqual([{ hosts: ['prefect.example.com'], secretName: 'prefect-server-tls' }]);
    const namespaced = only(exposed({ tls: IngressTls.certManager({ issuer: 'ca', secretName: 'web-cert' }), annotations: { 'example.com/team': 'data' } }).objects, 'Ingress');
    expect(namespaced.metadata.annotations).toEqual({ 'cert-manager.io/issuer': 'ca', 'example.com/team': 'data' });
    expect(namespaced.spec.tls).toEqual([{ hosts: ['prefect.example.com'], secretName: 'web-cert' }]);
  });

  test('TLS ended before the controller keeps https URLs without a TLS section; plain HTTP gives http URLs', () => {
    const upstream = exposed({ tls: IngressTls.terminatedUpstream() });
    expect(only(upstream.objects, 'Ingress').spec.tls).toBeUndefined();
    expect(envOf(upstream.server).PREFECT_SERVER_UI_API_URL).toBe('https://prefect.example.com/api');
    const plain = exposed({ tls: IngressTls.none() });
    expect(only(plain.objects, 'Ingress').spec.tls).toBeUndefined();
    expect(envOf(plain.server).PREFECT_SERVER_UI_API_URL).toBe('http://prefect.example.com/api');
  });

  test('Prefect basic auth: the server requires it, and workers made before the ingress send it, to the API and their Jobs', () => {
    const { objects, server } = exposed({ accessControl: IngressAccessControl.prefectBasicAuth(secret('prefect-auth', 'auth-string')) }, {}, true);
    expect(problems(objects)).toEqual([]);
    expect(envOf(server).PREFECT_SERVER_API_AUTH_STRING).toBe('secret:prefect-auth/auth-string');
    const worker = envOf(containerOf(only(objects, 'Deployment', 'k8s-worker'), 'prefect-worker'));
    expect(worker.PREFECT_API_AUTH_STRING).toBe('secret:prefect-auth/auth-string');
    expect(worker.PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_AUTH_STRING_SECRET_NAME).toBe('prefect-auth');
    expect(worker.PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_AUTH_STRING_SECRET_KEY).toBe('auth-string');
    // The pool set-up runs with the same environment.
    expect(envOf(only(objects, 'Deployment', 'k8s-worker').spec.template.spec.initContainers.find((c: Json) => c.name === 'apply-pool')).PREFECT_API_AUTH_STRING)
      .toBe('secret:prefect-auth/auth-string');
    // One Ingress for both; the health endpoints stay open, so the probes are unchanged.
    expect(kinds(objects).filter(k => k.startsWith('Ingress'))).toEqual(['Ingress/prefect-server']);
    expect(server.readinessProbe.httpGet.path).toBe('/api/ready');
  });

  test('Prefect basic auth already on the server: the same Secret is accepted', () => {
    const auth = secret('prefect-auth', 'auth-string');
    const { server } = exposed({ accessControl: IngressAccessControl.prefectBasicAuth(auth) }, { basicAuth: auth });
    expect(envOf(server).PREFECT_SERVER_API_AUTH_STRING).toBe('secret:prefect-auth/auth-string');
  });

  test('nginx basic auth: the UI behind it, /api open, one certificate request', () => {
    const { objects, ingress } = exposed({
      tls: IngressTls.certManager({ clusterIssuer: 'letsencrypt' }),
      ingressClassName: 'nginx',
      accessControl: IngressAccessControl.nginxBasicAuth({ htpasswdSecret: 'prefect-htpasswd', realm: 'Prefect (staff)' }),
      annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '10m' },
    }, { image: v2 });
    expect(problems(objects)).toEqual([]);
    const ui = only(objects, 'Ingress', 'prefect-server');
    const api = only(objects, 'Ingress', 'prefect-server-api');
    expect(ingress.apiResource).toBeDefined();
    expect(routes(ui)).toEqual([['prefect.example.com', ['/ -> prefect-server:4200']]]);
    expect(routes(api)).toEqual([['prefect.example.com', ['/api -> prefect-server:4200']]]);
    expect(ui.metadata.annotations).toEqual({
      'nginx.ingress.kubernetes.io/proxy-body-size': '10m',
      'cert-manager.io/cluster-issuer': 'letsencrypt',
      'nginx.ingress.kubernetes.io/auth-type': 'basic',
      'nginx.ingress.kubernetes.io/auth-secret': 'prefect-htpasswd',
      'nginx.ingress.kubernetes.io/auth-realm': 'Prefect (staff)',
    });
    expect(api.metadata.annotations).toEqual({ 'nginx.ingress.kubernetes.io/proxy-body-size': '10m' });
    expect(api.spec.tls).toEqual(ui.spec.tls);
  });

  test('a sub-path: the server serves UI and API under it, probes and in-cluster clients follow', () => {
    const { objects, server } = exposed({ path: '/prefect' }, {}, true);
    expect(problems(objects)).toEqual([]);
    expect(routes(only(objects, 'Ingress'))).toEqual([['prefect.example.com', ['/prefect/api -> prefect-server:4200', '/prefect -> prefect-server:4200']]]);
    const env = envOf(server);
    expect(env.PREFECT_SERVER_UI_API_URL).toBe('https://prefect.example.com/prefect/api');
    expect(env.PREFECT_SERVER_UI_SERVE_BASE).toBe('/prefect');
    expect(env.PREFECT_SERVER_API_BASE_PATH).toBe('/prefect/api');
    expect([server.startupProbe, server.livenessProbe, server.readinessProbe].map(p => p.httpGet.path))
      .toEqual(['/prefect/api/health', '/prefect/api/health', '/prefect/api/ready']);
    expect(envOf(containerOf(only(objects, 'Deployment', 'k8s-worker'), 'prefect-worker')).PREFECT_API_URL)
      .toBe('http://prefect-server.prefect.svc.cluster.local:4200/prefect/api');
  });

  test('the path "/" is the root', () => {
    const { objects, ingress } = exposed({ path: '/' });
    expect(ingress.path).toBeUndefined();
    expect(routes(only(objects, 'Ingress'))).toEqual([['prefect.example.com', ['/api -> prefect-server:4200', '/ -> prefect-server:4200']]]);
  });

  test('new PrefectIngress and api.exposeViaIngress make the same objects', () => {
    const sugar = exposed().objects;
    const direct = synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      new PrefectIngress(api, 'Ingress', { ...base, api });
    });
    expect(direct).toEqual(sugar);
  });
});

describe('PrefectIngress errors', () => {
  const fails = (options: Partial<PrefectIngressOptions>, apiProps: PrefectApiProps = {}) =>
    () => exposed(options, apiProps);

  test('hosts', () => {
    expect(fails({ hosts: [] })).toThrow(/PrefectIngress 'test\/Server\/Ingress': hosts "\(none\)" is not accepted: at least one host name/);
    expect(fails({ hosts: ['*.example.com'] })).toThrow(/hosts "\*\.example\.com" is not accepted: a lower-case DNS host name/);
    expect(fails({ hosts: ['Prefect.example.com'] })).toThrow(/hosts "Prefect\.example\.com" is not accepted/);
    expect(fails({ hosts: ['prefect.example.com:443'] })).toThrow(/hosts "prefect\.example\.com:443" is not accepted/);
    expect(fails({ hosts: ['10.0.0.1'] })).toThrow(/hosts "10\.0\.0\.1" is not accepted: .*not an IP address/);
    expect(fails({ hosts: ['a.example.com', 'a.example.com'] })).toThrow(/hosts "a\.example\.com" is not accepted: each host name once/);
  });

  test('class, annotations, name', () => {
    expect(fails({ ingressClassName: 'Nginx' })).toThrow(/ingressClassName "Nginx" is not accepted: a DNS-1123 subdomain/);
    expect(fails({ annotations: { 'nginx.ingress.kubernetes.io/auth-type': 'basic' } }))
      .toThrow(/annotations "nginx\.ingress\.kubernetes\.io\/auth-type" is not accepted: annotations the construct does not set itself/);
    expect(fails({ annotations: { 'cert-manager.io/cluster-issuer': 'x' } })).toThrow(/annotations "cert-manager\.io\/cluster-issuer" is not accepted/);
    expect(fails({ annotations: { 'not a key': 'x' } })).toThrow(/annotations "not a key" is not accepted: a label or annotation key/);
    expect(fails({ name: 'Web' })).toThrow(/name "Web" is not accepted: a DNS-1123 subdomain/);
  });

  test('TLS', () => {
    expect(fails({ tls: IngressTls.fromSecret('TLS') })).toThrow(/tls\.secretName "TLS" is not accepted/);
    expect(fails({ tls: IngressTls.certManager({}) }))
      .toThrow(/tls "IngressTls\.certManager\(\) with neither clusterIssuer nor issuer" is not accepted: exactly one of clusterIssuer/);
    expect(fails({ tls: IngressTls.certManager({ clusterIssuer: 'a', issuer: 'b' }) })).toThrow(/with both clusterIssuer and issuer" is not accepted/);
    expect(fails({ tls: IngressTls.certManager({ clusterIssuer: 'Lets_Encrypt' }) })).toThrow(/tls\.clusterIssuer "Lets_Encrypt" is not accepted/);
  });

  test('access control that contradicts the server', () => {
    const auth = secret('prefect-auth', 'auth-string');
    expect(fails({ accessControl: IngressAccessControl.none() }, { basicAuth: auth }))
      .toThrow(/accessControl "IngressAccessControl\.none\(\)" is not accepted: IngressAccessControl\.prefectBasicAuth\(\) with the server's Secret \(prefect-auth\/auth-string\): test\/Server requires Prefect's basic auth/);
    expect(fails({ accessControl: IngressAccessControl.nginxBasicAuth({ htpasswdSecret: 'h' }), ingressClassName: 'nginx' }, { basicAuth: auth }))
      .toThrow(/nginx's would claim the same Authorization header/);
    expect(fails({ accessControl: IngressAccessControl.prefectBasicAuth(secret('other', 'auth-string')) }, { basicAuth: auth }))
      .toThrow(/accessControl\.authString "other\/auth-string" is not accepted: the server's own basicAuth \(prefect-auth\/auth-string\)/);
    expect(fails({ accessControl: IngressAccessControl.prefectBasicAuth(auth) }, { image: PrefectImage.official({ version: PrefectVersion.of('3.1.12') }) }))
      .toThrow(/accessControl\.authString "Secret prefect-auth with Prefect 3\.1\.12" is not accepted: Prefect 3\.1\.13 or newer/);
    expect(fails({ accessControl: IngressAccessControl.prefectBasicAuth(auth) }, { image: v2 })).toThrow(/Prefect 3\.1\.13 or newer/);
  });

  test('nginx options', () => {
    const nginx = (options: any) => ({ accessControl: IngressAccessControl.nginxBasicAuth(options), ingressClassName: 'nginx' });
    expect(fails(nginx({ htpasswdSecret: 'Htpasswd' }))).toThrow(/accessControl\.htpasswdSecret "Htpasswd" is not accepted/);
    expect(fails(nginx({ htpasswdSecret: 'h', realm: 'say "hi"' }))).toThrow(/accessControl\.realm "say \\"hi\\"" is not accepted/);
    expect(fails({ accessControl: IngressAccessControl.nginxBasicAuth({ htpasswdSecret: 'h' }) }))
      .toThrow(/ingressClassName \(unset\) is not accepted: the IngressClass of an ingress-nginx controller with IngressAccessControl\.nginxBasicAuth\(\): other controllers ignore its annotations/);
  });

  test('basic auth needs TLS', () => {
    expect(fails({ tls: IngressTls.none(), accessControl: IngressAccessControl.prefectBasicAuth(secret('a', 'b')) }))
      .toThrow(/accessControl "IngressAccessControl\.prefectBasicAuth\(\) with IngressTls\.none\(\)" is not accepted: TLS for basic auth/);
    expect(fails({ tls: IngressTls.none(), ingressClassName: 'nginx', accessControl: IngressAccessControl.nginxBasicAuth({ htpasswdSecret: 'h' }) }))
      .toThrow(/IngressAccessControl\.nginxBasicAuth\(\) with IngressTls\.none\(\)" is not accepted/);
    expect(() => exposed({ tls: IngressTls.terminatedUpstream(), accessControl: IngressAccessControl.prefectBasicAuth(secret('a', 'b')) })).not.toThrow();
  });

  test('a sub-path needs Prefect 3.4.13 and a clean path', () => {
    expect(fails({ path: '/prefect' }, { image: PrefectImage.official({ version: PrefectVersion.of('3.4.12') }) }))
      .toThrow(/path "\/prefect with Prefect 3\.4\.12" is not accepted: the hosts' root \(leave path unset\), or Prefect 3\.4\.13 or newer/);
    expect(fails({ path: '/prefect' }, { image: v2 })).toThrow(/Prefect 3\.4\.13 or newer/);
    for (const path of ['/prefect/', 'prefect', '/Prefect', '/a b', '//x']) {
      expect(fails({ path })).toThrow(/path ".*" is not accepted: a sub-path such as "\/prefect"/);
    }
  });

  test('one ingress per server, in the server\'s namespace; no hand-set UI URL beside it', () => {
    expect(() => synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      api.exposeViaIngress(base);
      new PrefectIngress(chart, 'Second', { ...base, api });
    })).toThrow(/PrefectIngress 'test\/Second': api "test\/Server" is not accepted: a server without an ingress \(test\/Server\/Ingress is in front of it already/);
    const app = Testing.app();
    const api = new PrefectApi(new Chart(app, 'a', { namespace: 'a' }), 'Server');
    expect(() => new PrefectIngress(new Chart(app, 'b', { namespace: 'b' }), 'Ingress', { ...base, api }))
      .toThrow(/api "a\/Server" is not accepted: a server in this chart's namespace \(b\)/);
    expect(fails({}, { uiApiUrl: 'https://other.example.com/api' }))
      .toThrow(/PrefectApi 'test\/Server': uiApiUrl "https:\/\/other\.example\.com\/api" is not accepted: unset: the ingress test\/Server\/Ingress gives the browser-facing URL already/);
    expect(() => synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      api.exposeViaIngress(base);
      api.exposeViaIngress(base);
    })).toThrow(/PrefectApi 'test\/Server': exposeViaIngress "prefect\.example\.com" is not accepted: one ingress per server \(test\/Server\/Ingress is in front of it already/);
  });

  test('a worker too old to send the basic auth an ingress adds', () => {
    expect(() => synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      new PrefectWorkerPool(chart, 'Pool', {
        connection: PrefectConnection.inCluster(api), poolName: 'k8s', image: PrefectImage.official({ version: PrefectVersion.of('3.1.7') }),
      });
      api.exposeViaIngress({ ...base, accessControl: IngressAccessControl.prefectBasicAuth(secret('a', 'b')) });
    })).toThrow(/PrefectWorkerPool 'test\/Pool': connection "basic auth from Secret a for a Prefect 3\.1\.7 client" is not accepted: a Prefect 3\.1\.8 or newer client/);
  });
});

describe('exposeViaService', () => {
  function external(options: Json, withIngress = false) {
    let server: PrefectApi | undefined;
    const objects = synth(chart => {
      server = new PrefectApi(chart, 'Server');
      server.exposeViaService(options);
      if (withIngress) server.exposeViaIngress(base);
    });
    return { objects, server: server! };
  }

  test('a NodePort Service beside the ClusterIP one, and the UI calls the API at the given address', () => {
    const { objects, server } = external({ serviceType: ExternalServiceType.NODE_PORT, nodePort: 30420, address: 'http://node1.example.com:30420' });
    expect(problems(objects)).toEqual([]);
    const service = only(objects, 'Service', 'prefect-server-external');
    expect(service.spec.type).toBe('NodePort');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 4200, targetPort: 4200, nodePort: 30420 }]);
    expect(service.spec.selector).toEqual(only(objects, 'Service', 'prefect-server').spec.selector);
    expect(server.externalService).toBeDefined();
    expect(envOf(containerOf(only(objects, 'StatefulSet'), 'prefect-server')).PREFECT_SERVER_UI_API_URL).toBe('http://node1.example.com:30420/api');
  });

  test('a LoadBalancer with source ranges and annotations; an ingress may give the URL instead', () => {
    const { objects } = external({
      serviceType: ExternalServiceType.LOAD_BALANCER, port: 443, loadBalancerSourceRanges: ['203.0.113.0/24'],
      annotations: { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' },
    }, true);
    expect(problems(objects)).toEqual([]);
    const service = only(objects, 'Service', 'prefect-server-external');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 443, targetPort: 4200 }]);
    expect(service.spec.loadBalancerSourceRanges).toEqual(['203.0.113.0/24']);
    expect(service.metadata.annotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' });
    expect(envOf(containerOf(only(objects, 'StatefulSet'), 'prefect-server')).PREFECT_SERVER_UI_API_URL).toBe('https://prefect.example.com/api');
  });

  test('errors', () => {
    const nodePort = { serviceType: ExternalServiceType.NODE_PORT, address: 'http://node1.example.com:30420' };
    expect(() => external({ ...nodePort, nodePort: 8080 })).toThrow(/PrefectApi 'test\/Server': exposeViaService\.nodePort 8080 is not accepted: a whole number from 30000 to 32767/);
    expect(() => external({ ...nodePort, loadBalancerSourceRanges: ['10.0.0.0/8'] })).toThrow(/exposeViaService\.loadBalancerSourceRanges "10\.0\.0\.0\/8" is not accepted: unset unless serviceType is ExternalServiceType\.LOAD_BALANCER/);
    expect(() => external({ serviceType: ExternalServiceType.LOAD_BALANCER, address: 'http://lb.example.com', loadBalancerSourceRanges: ['10.0.0.0'] })).toThrow(/loadBalancerSourceRanges "10\.0\.0\.0" is not accepted: a CIDR/);
    expect(() => external({ ...nodePort, address: 'http://node1.example.com:30420/api' })).toThrow(/exposeViaService\.address ".*" is not accepted: an absolute http\(s\) base URL .*no path/);
    expect(() => external({ ...nodePort, address: 'http://0.0.0.0:30420' })).toThrow(/not 0\.0\.0\.0/);
    expect(() => external({ serviceType: 'ClusterIP' })).toThrow(/exposeViaService\.serviceType "ClusterIP" is not accepted: ExternalServiceType\.NODE_PORT or ExternalServiceType\.LOAD_BALANCER/);
    expect(() => external({ serviceType: ExternalServiceType.NODE_PORT }))
      .toThrow(/exposeViaService\.address \(unset\) is not accepted: the URL at which browsers reach the external Service/);
    expect(() => external(nodePort, true))
      .toThrow(/exposeViaService\.address "http:\/\/node1\.example\.com:30420" is not accepted: unset: the ingress test\/Server\/Ingress gives the browser-facing URL already/);
    expect(() => synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      api.exposeViaService(nodePort);
      api.exposeViaService(nodePort);
    })).toThrow(/exposeViaService "NodePort" is not accepted: one external Service per server/);
  });
});
