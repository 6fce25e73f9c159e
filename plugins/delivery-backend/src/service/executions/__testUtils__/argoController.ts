/*
 * The Argo Rollouts controller, played by the tests through the real API
 * server: the Rollout CRD, a Rollout of the component, and status written
 * as the controller would write it.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ROLLOUT_RESOURCE } from '../../../kubernetes/workloads';
import {
  admin,
  applyCustomResourceDefinition,
  eventually,
  ROLLOUT_CRD,
} from '../../../kubernetes/testing/testCluster';

export const SIDECAR = 'docker.io/istio/proxyv2:1.24';

/** Installs the Rollout CRD and waits until the API server serves it. */
export async function installRolloutCrd() {
  await applyCustomResourceDefinition(ROLLOUT_CRD);
  await eventually(
    () =>
      admin()
        .custom.listNamespacedCustomObject({
          ...ROLLOUT_RESOURCE,
          namespace: 'default',
        })
        .then(
          () => true,
          () => undefined,
        ),
    'the Rollout CRD to be served',
  );
}

/** Creates Rollout `checkout` (app container + a sidecar) with these canary steps. */
export async function createRollout(
  namespace: string,
  image: string,
  steps: object[],
) {
  await admin().custom.createNamespacedCustomObject({
    ...ROLLOUT_RESOURCE,
    namespace,
    body: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: {
        name: 'checkout',
        labels: { 'backstage.io/kubernetes-id': 'checkout' },
      },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'checkout' } },
        template: {
          metadata: { labels: { app: 'checkout' } },
          spec: {
            containers: [
              { name: 'app', image },
              { name: 'istio-proxy', image: SIDECAR },
            ],
          },
        },
        strategy: { canary: { steps } },
      },
    },
  });
}

/** The Rollout as the API server has it. */
export async function readRollout(namespace: string): Promise<any> {
  return admin().custom.getNamespacedCustomObject({
    ...ROLLOUT_RESOURCE,
    namespace,
    name: 'checkout',
  });
}

/** The test as the Argo Rollouts controller: it reports status. */
export async function reportRolloutStatus(namespace: string, status: object) {
  const current = await readRollout(namespace);
  await admin().custom.patchNamespacedCustomObjectStatus(
    {
      ...ROLLOUT_RESOURCE,
      namespace,
      name: 'checkout',
      body: {
        status: {
          observedGeneration: String(current.metadata.generation),
          ...status,
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}
