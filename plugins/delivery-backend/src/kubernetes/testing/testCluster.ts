/*
 * The Kubernetes API server the tests use, from DELIVERY_TEST_KUBECONFIG
 * (scripts/kube-test-cluster.sh start prints one; .ci/run always sets it).
 * Without it, Kubernetes tests are skipped, and say so.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  AppsV1Api,
  AuthorizationV1Api,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  loadYaml,
  V1CustomResourceDefinition,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  V1Pod,
} from '@kubernetes/client-node';
import yaml from 'yaml';
import { ClusterConfig } from '../../config/clusters';

export interface TestCluster {
  url: string;
  token: string;
  kubeconfig: KubeConfig;
}

function load(): TestCluster | undefined {
  const path = process.env.DELIVERY_TEST_KUBECONFIG;
  if (!path) return undefined;
  const doc = yaml.parse(readFileSync(path, 'utf8'));
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(path);
  return {
    url: doc.clusters[0].cluster.server,
    token: doc.users[0].user.token,
    kubeconfig,
  };
}

export const testCluster = load();

if (!testCluster) {
  // eslint-disable-next-line no-console
  console.warn(
    'SKIPPED Kubernetes tests: no API server; run scripts/kube-test-cluster.sh start and set DELIVERY_TEST_KUBECONFIG to the kubeconfig it prints',
  );
}

/** `describe` when a test cluster is configured, `describe.skip` otherwise. */
export const describeWithCluster: jest.Describe = testCluster
  ? describe
  : describe.skip;

/** The test cluster (or another URL, e.g. a fault proxy) as plugin config. */
export function clusterConfig(
  name: string,
  overrides: Partial<ClusterConfig> = {},
): ClusterConfig {
  return {
    name,
    url: testCluster!.url,
    serviceAccountToken: testCluster!.token,
    skipTLSVerify: true,
    ...overrides,
  };
}

/**
 * Backstage's `kubernetes` config with the test cluster (or another URL, e.g.
 * a fault proxy) as cluster `test`, as a backend under test reads it.
 */
export function kubernetesConfig(url = testCluster!.url) {
  return {
    clusterLocatorMethods: [
      {
        type: 'config',
        clusters: [
          {
            name: 'test',
            url,
            authProvider: 'serviceAccount',
            serviceAccountToken: testCluster!.token,
            skipTLSVerify: true,
          },
        ],
      },
    ],
  };
}

/** Admin clients for arranging the cluster in tests (acting as kubelet, admin…). */
export function admin() {
  const kc = testCluster!.kubeconfig;
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
    authorization: kc.makeApiClient(AuthorizationV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}

/** Creates every object of a multi-document YAML file that does not exist yet. */
export async function applyManifest(path: string): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(testCluster!.kubeconfig);
  for (const doc of yaml.parseAllDocuments(readFileSync(path, 'utf8'))) {
    const spec = doc.toJSON() as KubernetesObject | null;
    if (!spec) continue;
    try {
      await objects.create(spec);
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
    }
  }
}

/** The Argo Rollouts `Rollout` CRD the tests install (see the file's header). */
export const ROLLOUT_CRD = resolvePath(
  resolvePackagePath('@backstage-delivery/plugin-delivery-backend'),
  'src/kubernetes/testing/argo-rollouts-crd.yaml',
);

/**
 * Creates a CustomResourceDefinition from a YAML file, unless it exists. The
 * client's model maps JSON names such as `x-kubernetes-int-or-string` to its
 * own, so the document is read through it first (a plain object would lose
 * them, and the API server would refuse the schema).
 */
export async function applyCustomResourceDefinition(
  path: string,
): Promise<void> {
  const api = testCluster!.kubeconfig.makeApiClient(ApiextensionsV1Api);
  const body = loadYaml<V1CustomResourceDefinition>(readFileSync(path, 'utf8'));
  try {
    await api.createCustomResourceDefinition({ body });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
}

/** The token of a service account's token secret, once the controller has filled it in. */
export async function serviceAccountToken(
  namespace: string,
  secret: string,
): Promise<string> {
  const { core } = admin();
  return eventually(async () => {
    const found = await core.readNamespacedSecret({ name: secret, namespace });
    const token = found.data?.token;
    return token ? Buffer.from(token, 'base64').toString('utf8') : undefined;
  }, `the token of ${namespace}/${secret}`);
}

/** Whether the API server's authorizer lets `user` do `verb` on `resource`. */
export async function can(
  user: string,
  attributes: {
    verb: string;
    resource: string;
    group?: string;
    namespace?: string;
    name?: string;
  },
): Promise<boolean> {
  const { authorization } = admin();
  const review = await authorization.createSubjectAccessReview({
    body: { spec: { user, resourceAttributes: attributes } },
  });
  return review.status?.allowed === true;
}

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 250));
  }
}

/** A name unique to this test run, usable as a namespace. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random()
    .toString(36)
    .slice(2, 6)}`;
}

/**
 * Acts as the kubelet (the test cluster has none): reports the pod running
 * `digest`, ready or not, after `restarts` restarts, started at `startedAt`.
 */
export async function reportPodStatus(
  pod: V1Pod,
  status: { digest: string; restarts: number; ready: boolean; startedAt: Date },
) {
  const { core } = admin();
  const name = pod.metadata!.name!;
  const namespace = pod.metadata!.namespace!;
  const current = await core.readNamespacedPod({ name, namespace });
  const container = current.spec!.containers[0];
  const repository = container.image!.replace(/[:@].*$/, '');
  await core.replaceNamespacedPodStatus({
    name,
    namespace,
    body: {
      ...current,
      status: {
        phase: 'Running',
        startTime: status.startedAt,
        conditions: [
          { type: 'Ready', status: status.ready ? 'True' : 'False' },
        ],
        containerStatuses: [
          {
            name: container.name,
            image: container.image!,
            imageID: `docker-pullable://${repository}@${status.digest}`,
            ready: status.ready,
            restartCount: status.restarts,
            started: true,
            state: { running: { startedAt: status.startedAt } },
          },
        ],
      },
    },
  });
}

/**
 * Creates a deployment of a component (labelled with its kubernetes-id) and
 * waits for the ReplicaSet controller to create its pods, which stay Pending
 * until a test reports their status.
 */
export async function deployComponent(
  namespace: string,
  options: { kubernetesId: string; image: string; replicas: number },
): Promise<V1Pod[]> {
  const { apps, core } = admin();
  const labels = {
    app: options.kubernetesId,
    'backstage.io/kubernetes-id': options.kubernetesId,
  };
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: options.kubernetesId, labels },
      spec: {
        replicas: options.replicas,
        selector: { matchLabels: { app: options.kubernetesId } },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'app', image: options.image }] },
        },
      },
    },
  });
  return eventually(async () => {
    const list = await core.listNamespacedPod({
      namespace,
      labelSelector: `app=${options.kubernetesId}`,
    });
    return list.items.length === options.replicas ? list.items : undefined;
  }, `the pods of ${options.kubernetesId}`);
}

/**
 * Acts as the kubelet for every current pod matching `labelSelector`: reports
 * each running the digest of its own spec image, ready or not, with
 * `restarts`. Pods that vanish meanwhile (scaled down) are skipped.
 */
export async function runPods(
  namespace: string,
  labelSelector: string,
  options: { ready?: boolean; restarts?: number; startedAt?: Date } = {},
): Promise<V1Pod[]> {
  const { core } = admin();
  const pods = (await core.listNamespacedPod({ namespace, labelSelector }))
    .items;
  const running: V1Pod[] = [];
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const digest = /@(sha256:[a-f0-9]{64})/.exec(
      pod.spec!.containers[0].image!,
    )?.[1];
    if (!digest) continue;
    try {
      await reportPodStatus(pod, {
        digest,
        ready: options.ready ?? true,
        restarts: options.restarts ?? 0,
        startedAt: options.startedAt ?? new Date(),
      });
      running.push(pod);
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code !== 404 && code !== 409) throw error;
    }
  }
  return running;
}

/** The images of a Deployment's pod template, by container. */
export async function imagesOf(
  namespace: string,
  name: string,
): Promise<Record<string, string>> {
  const { apps } = admin();
  const d = await apps.readNamespacedDeployment({ name, namespace });
  return Object.fromEntries(
    d.spec!.template.spec!.containers.map(c => [c.name, c.image!]),
  );
}
