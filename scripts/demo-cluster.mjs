#!/usr/bin/env node
// The demo's workloads in the local test cluster (scripts/kube-test-cluster.sh),
// for `make start-kubernetes`:
//
//   1. waits for the portal's backend to have loaded its demo ledger, then
//      creates, for every demo component and environment with a release, a
//      Deployment of 2 replicas running the released digest in the
//      environment's namespace (labelled with the component's kubernetes-id);
//   2. acts as the kubelet, which the test cluster does not have: every second,
//      marks each new pod of those namespaces Running and Ready, running the
//      digest of its own spec image. So a rollout the portal's kubernetes
//      executor starts completes, as it would on a real cluster.
//
// Usage: node scripts/demo-cluster.mjs --kubeconfig <file>
//          [--backend http://localhost:7007] [--token <static token>]
//          [--component <name>]…   (default: the components of
//          examples/entities.yaml with a backstage.io/kubernetes-id)
// Stops on SIGINT/SIGTERM. Reads the ledger with a static external-access
// token (app-config.yaml's local CI token by default).
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    backend: { type: 'string', default: 'http://localhost:7007' },
    token: { type: 'string', default: 'local-ci-token-change-me' },
    component: { type: 'string', multiple: true },
  },
});
if (!values.kubeconfig) {
  console.error(
    'usage: demo-cluster.mjs --kubeconfig <file> [--backend url] [--token t] [--component name]…',
  );
  process.exit(2);
}
const log = message => console.log(`demo-cluster: ${message}`);
const sleep = ms => new Promise(r => setTimeout(r, ms));

const kubeconfig = readFileSync(values.kubeconfig, 'utf8');
const server = new URL(/server: (\S+)/.exec(kubeconfig)[1]);
const kubeToken = /token: (\S+)/.exec(kubeconfig)[1];

/** One call to the test cluster's API (self-signed certificate, admin token). */
function kube(method, path, body, contentType = 'application/json') {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: server.hostname,
        port: server.port,
        path,
        method,
        rejectUnauthorized: false,
        headers: {
          authorization: `Bearer ${kubeToken}`,
          ...(body ? { 'content-type': contentType } : {}),
        },
        timeout: 10_000,
      },
      res => {
        let text = '';
        res.on('data', c => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            body: text ? JSON.parse(text) : undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${path} timed out`)),
    );
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

async function backend(path) {
  const res = await fetch(`${values.backend}/api/delivery${path}`, {
    headers: { authorization: `Bearer ${values.token}` },
  });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  return res.json();
}

/** The demo's components that map to workloads: name and kubernetes-id. */
function demoEntities() {
  const file = join(
    dirname(fileURLToPath(import.meta.url)),
    '../examples/entities.yaml',
  );
  return yaml
    .loadAll(readFileSync(file, 'utf8'))
    .filter(e => e?.kind === 'Component')
    .map(e => ({
      name: e.metadata.name,
      kubernetesId: e.metadata.annotations?.['backstage.io/kubernetes-id'],
    }))
    .filter(
      e =>
        e.kubernetesId &&
        (!values.component || values.component.includes(e.name)),
    );
}

/** The overview of each demo component, once the backend has loaded the demo ledger. */
async function demoOverviews() {
  const entities = demoEntities();
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      const overviews = await Promise.all(
        entities.map(async e => ({
          ...e,
          overview: await backend(
            `/overview?component=component:default/${e.name}`,
          ),
        })),
      );
      const released = overviews.filter(o =>
        o.overview.environments.some(env => env.release),
      );
      // The demo loads component after component: wait for all of them.
      if (
        released.length === overviews.length ||
        (released.length && Date.now() > deadline)
      ) {
        return released;
      }
    } catch {
      // not up yet, or the catalog has not ingested the demo yet
    }
    await sleep(2000);
  }
}

/** A Deployment per environment with a release, running it. */
async function seed(components) {
  const namespaces = new Set();
  for (const component of components) {
    for (const env of component.overview.environments) {
      if (!env.release) continue;
      const namespace = env.environment.namespace;
      const { imageRepository, digest } = env.release.artifact;
      const labels = {
        app: component.name,
        'backstage.io/kubernetes-id': component.kubernetesId,
      };
      await kube('POST', '/api/v1/namespaces', {
        metadata: { name: namespace },
      });
      const created = await kube(
        'POST',
        `/apis/apps/v1/namespaces/${namespace}/deployments`,
        {
          metadata: { name: component.name, labels },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: component.name } },
            template: {
              metadata: { labels },
              spec: {
                containers: [
                  { name: 'app', image: `${imageRepository}@${digest}` },
                ],
              },
            },
          },
        },
      );
      namespaces.add(namespace);
      log(
        created.status === 201
          ? `${namespace}: deployment/${component.name} runs ${digest.slice(
              0,
              19,
            )}…`
          : `${namespace}: deployment/${component.name} already there`,
      );
    }
  }
  return [...namespaces];
}

/** Marks every new pod of the namespaces Running and Ready, as a kubelet would. */
async function actAsKubelet(namespaces) {
  for (;;) {
    for (const namespace of namespaces) {
      const { body } = await kube(
        'GET',
        `/api/v1/namespaces/${namespace}/pods?labelSelector=backstage.io%2Fkubernetes-id`,
      ).catch(() => ({ body: { items: [] } }));
      for (const pod of body?.items ?? []) {
        if (pod.metadata.deletionTimestamp || pod.status?.conditions?.length)
          continue;
        const container = pod.spec.containers[0];
        const digest = /@(sha256:[a-f0-9]{64})/.exec(container.image)?.[1];
        if (!digest) continue;
        const now = new Date().toISOString();
        await kube(
          'PUT',
          `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/status`,
          {
            ...pod,
            status: {
              phase: 'Running',
              startTime: now,
              conditions: [{ type: 'Ready', status: 'True' }],
              containerStatuses: [
                {
                  name: container.name,
                  image: container.image,
                  imageID: container.image,
                  ready: true,
                  restartCount: 0,
                  started: true,
                  state: { running: { startedAt: now } },
                },
              ],
            },
          },
        ).catch(() => undefined);
        log(
          `${namespace}: pod ${pod.metadata.name} ready (${digest.slice(
            0,
            19,
          )}…)`,
        );
      }
    }
    await sleep(1000);
  }
}

for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => process.exit(0));
log(`waiting for the demo ledger at ${values.backend}`);
const namespaces = await seed(await demoOverviews());
log(`acting as the kubelet in ${namespaces.join(', ')}`);
await actAsKubelet(namespaces);
