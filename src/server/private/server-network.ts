import { k8s } from 'cdk8s-plus-27';
import { selectorLabels } from '../../core/private/labels';
import { isLoopbackHost } from '../../core/private/validation';
import { COMPONENT_MIGRATION, COMPONENT_SERVER, COMPONENT_SERVICES, ResolvedServer } from './resolved-server';

/** Selects the API pods (`apiOnly`), or every pod of the server: API, background services and migration. */
export function serverPodSelector(server: ResolvedServer, apiOnly: boolean): k8s.LabelSelector {
  if (apiOnly) return { matchLabels: selectorLabels(server.name, COMPONENT_SERVER) };
  const { 'app.kubernetes.io/component': _, ...common } = selectorLabels(server.name, COMPONENT_SERVER);
  return {
    matchLabels: common,
    matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: [COMPONENT_SERVER, COMPONENT_SERVICES, COMPONENT_MIGRATION] }],
  };
}

/** The TCP ports the server's pods connect to outside the cluster's pods: the database, Redis, and Prefect's analytics. */
export function outboundPorts(server: ResolvedServer): number[] {
  const ports: number[] = [];
  // A connection URL's port is in its Secret: assume PostgreSQL's default. A database on the
  // pod's loopback (a proxy sidecar) needs no egress: network policies do not apply there.
  const host = server.database._components?.host;
  if (!server.database.isSqlite && !isLoopbackHost(host)) ports.push(server.database._components?.port ?? 5432);
  if (server.highlyAvailable) ports.push(server.props.redis!.port ?? 6379);
  if (server.props.analytics) ports.push(443);
  return [...new Set(ports)];
}
