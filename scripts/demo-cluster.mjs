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
//      executor starts completes, as it would on a real cluster;
//   3. serves what the demo's services would tell Prometheus, on
//      http://127.0.0.1:<metrics-port>/metrics (scripts/prometheus.sh scrapes
//      it): http_requests_total{namespace,component,digest,code} and
//      http_request_duration_seconds for every release running in the
//      cluster, 20 requests a second per pod, 0.5% of them failing and 120 ms
//      each, unless told otherwise:
//        curl -X POST 'http://127.0.0.1:9464/faults?digest=sha256:…&errorRatio=0.3&latency=0.9'
//      makes every pod running that digest fail 30% of its requests in 900 ms
//      (the analysis of a canary of it then fails); without digest, every
//      release; errorRatio=0.005&latency=0.12 puts it back.
//
// Usage: node scripts/demo-cluster.mjs --kubeconfig <file>
//          [--backend http://localhost:7007] [--token <static token>]
//          [--component <name>]…   (default: the components of
//          examples/entities.yaml with a backstage.io/kubernetes-id)
// Stops on SIGINT/SIGTERM. Reads the ledger with a static external-access
// token (app-config.yaml's local CI token by default).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';
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
    'metrics-port': { type: 'string', default: '9464' },
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

/** What each running release serves, by pod: the metrics Prometheus scrapes. */
function serveMetrics(namespaces) {
  const registry = new Registry();
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Requests served, by release and status code.',
    labelNames: ['namespace', 'component', 'digest', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to serve a request, by release.',
    labelNames: ['namespace', 'component', 'digest'],
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5],
    registers: [registry],
  });
  const healthy = { errorRatio: 0.005, latency: 0.12 };
  const faults = new Map(); // digest (or '*') → { errorRatio, latency }
  let pods = [];
  setInterval(async () => {
    const running = [];
    for (const namespace of namespaces) {
      const { body } = await kube(
        'GET',
        `/api/v1/namespaces/${namespace}/pods?labelSelector=backstage.io%2Fkubernetes-id`,
      ).catch(() => ({ body: { items: [] } }));
      for (const pod of body?.items ?? []) {
        const ready = pod.status?.conditions?.some(
          c => c.type === 'Ready' && c.status === 'True',
        );
        const digest = /@(sha256:[a-f0-9]{64})/.exec(
          pod.spec.containers[0].image,
        )?.[1];
        if (ready && digest && !pod.metadata.deletionTimestamp) {
          running.push({
            namespace,
            component: pod.metadata.labels.app ?? '',
            digest,
          });
        }
      }
    }
    pods = running;
  }, 2000);
  setInterval(() => {
    for (const labels of pods) {
      const f = faults.get(labels.digest) ?? faults.get('*') ?? healthy;
      // 20 requests a second per pod, in ticks of 200 ms.
      requests.inc({ ...labels, code: '500' }, 4 * f.errorRatio);
      requests.inc({ ...labels, code: '200' }, 4 * (1 - f.errorRatio));
      for (let i = 0; i < 4; i++) duration.observe(labels, f.latency);
    }
  }, 200);
  const port = Number(values['metrics-port']);
  createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (req.method === 'POST' && url.pathname === '/faults') {
      const fault = {
        errorRatio: Number(
          url.searchParams.get('errorRatio') ?? healthy.errorRatio,
        ),
        latency: Number(url.searchParams.get('latency') ?? healthy.latency),
      };
      faults.set(url.searchParams.get('digest') ?? '*', fault);
      log(
        `fault: ${
          url.searchParams.get('digest') ?? 'every release'
        } ${JSON.stringify(fault)}`,
      );
      res.end('ok\n');
      return;
    }
    res.setHeader('content-type', registry.contentType);
    res.end(await registry.metrics());
  }).listen(port, '127.0.0.1', () =>
    log(`serving the demo's metrics on http://127.0.0.1:${port}/metrics`),
  );
}

for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => process.exit(0));
log(`waiting for the demo ledger at ${values.backend}`);
const namespaces = await seed(await demoOverviews());
serveMetrics(namespaces);
log(`acting as the kubelet in ${namespaces.join(', ')}`);
await actAsKubelet(namespaces);
