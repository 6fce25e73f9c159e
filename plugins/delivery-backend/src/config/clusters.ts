import { Config } from '@backstage/config';
import { ClusterAttributes } from '@backstage/plugin-kubernetes-common';

/** A cluster, as configured for the official Kubernetes plugin. */
export interface ClusterConfig extends ClusterAttributes {
  url: string;
  /** The official plugin's `authProvider`; delivery uses `serviceAccount`. */
  authProvider?: string;
  /** Service-account token the delivery backend uses. */
  serviceAccountToken?: string;
  /** Base64 PEM of the cluster's CA, when it is not publicly trusted. */
  caData?: string;
  /** For local clusters only: accept any serving certificate. */
  skipTLSVerify: boolean;
}

/**
 * The clusters of `kubernetes.clusterLocatorMethods` entries of type
 * `config`, the shape the official Kubernetes plugin reads, so that clusters
 * are configured once for both.
 */
export function readClusters(root: Config): Map<string, ClusterConfig> {
  const clusters = new Map<string, ClusterConfig>();
  const methods =
    root.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
  for (const method of methods) {
    if (method.getString('type') !== 'config') continue;
    for (const cluster of method.getOptionalConfigArray('clusters') ?? []) {
      const name = cluster.getString('name');
      clusters.set(name, {
        name,
        title: cluster.getOptionalString('title'),
        dashboardUrl: cluster.getOptionalString('dashboardUrl'),
        dashboardApp: cluster.getOptionalString('dashboardApp'),
        url: cluster.getString('url'),
        authProvider: cluster.getOptionalString('authProvider'),
        serviceAccountToken: cluster.getOptionalString('serviceAccountToken'),
        caData: cluster.getOptionalString('caData'),
        skipTLSVerify: cluster.getOptionalBoolean('skipTLSVerify') ?? false,
      });
    }
  }
  return clusters;
}
