/*
 * A scaffolded service's pipeline, played against a running portal: the
 * steps of its rendered workflows that talk to the portal run as written
 * (bash, the `delivery` CLI the portal serves, fetched by the rendered
 * action), with the reports the service's own tests produced. What cannot
 * run here (docker, trivy, GitHub's signing, kubectl) is replaced by its
 * result: the image digest and size, a scan report, key-signed attestations,
 * a rollout without restarts.
 */
import { execFile, execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import yaml from 'yaml';
import deliveryPlugin, {
  githubProvenance,
  inTotoStatement,
  signWithKey,
} from '@backstage-delivery/plugin-delivery-backend';
import { APP_CONFIG, installCliFromPortal } from './testing';

const CI_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** Approvers of the ladders' production, outside any committing team. */
const GROUPS: Record<string, string[]> = {
  'user:default/alice': ['group:default/platform'],
  'user:default/bob': ['group:default/team-payments'],
};

/**
 * A portal with the repository's ladders, trusting the pipeline's signing
 * key (signature and provenance verified as delivery.supplyChain says), with
 * the built-in scorecard checks.
 */
export async function startPortal(entities: Entity[]) {
  const { server } = await startTestBackend({
    features: [
      deliveryPlugin,
      catalogServiceMock.factory({ entities }),
      mockServices.rootConfig.factory({
        data: {
          delivery: {
            defaultLadder: APP_CONFIG.delivery.defaultLadder,
            ladders: APP_CONFIG.delivery.ladders,
            scorecard: { ...APP_CONFIG.delivery.scorecard, custom: [] },
            imagePolicy: APP_CONFIG.delivery.imagePolicy,
            supplyChain: {
              keys: [
                {
                  id: 'ci',
                  publicKey: CI_KEY.publicKey
                    .export({ type: 'spki', format: 'pem' })
                    .toString(),
                },
              ],
              signers: [{ key: 'ci' }],
              provenance: APP_CONFIG.delivery.supplyChain.provenance,
            },
          },
        },
      }),
      createServiceFactory({
        service: coreServices.userInfo,
        deps: {},
        factory: () => ({
          async getUserInfo(credentials: any) {
            const ref = credentials.principal.userEntityRef;
            return {
              userEntityRef: ref,
              ownershipEntityRefs: [ref, ...(GROUPS[ref] ?? [])],
            };
          },
        }),
      }),
    ],
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const api = async (
    path: string,
    init: RequestInit & { as?: string } = {},
  ) => {
    const res = await fetch(`${url}/api/delivery${path}`, {
      ...init,
      headers: {
        authorization: init.as
          ? mockCredentials.user.header(init.as)
          : mockCredentials.service.header(),
        'content-type': 'application/json',
      },
    });
    const body = await res.json();
    if (!res.ok)
      throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  return { url, api, token: mockCredentials.service.token() };
}

type Portal = Awaited<ReturnType<typeof startPortal>>;

/** The portal-facing lines of a job's steps (`delivery …`, continuations joined). */
function deliveryLines(job: any): string[] {
  return (job.steps ?? [])
    .flatMap((st: any) =>
      String(st.run ?? '')
        .replace(/\\\n\s*/g, '')
        .split('\n'),
    )
    .map((l: string) => l.trim())
    .filter((l: string) => l.startsWith('delivery '));
}

/** Replaces the GitHub expressions of a script with their values. */
function expand(script: string, values: Record<string, string>): string {
  return script.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    if (!(expr in values)) throw new Error(`no value for \${{ ${expr} }}`);
    return values[expr];
  });
}

/** Runs a step's script with bash, as a job would. */
function run(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(done => {
    execFile(
      'bash',
      ['-e', '-c', script],
      { cwd, env, timeout: 120_000 },
      (error, stdout, stderr) =>
        done({
          code: error ? Number((error as any).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

/**
 * Plays the build and deploy workflows of a rendered service through every
 * environment of its ladder, moving the clock over the soak times; approves
 * where the ladder asks for it. Returns the component's scorecard.
 */
export async function playPipeline(options: {
  portal: Portal;
  files: Map<string, string>;
  /** The rendered service, with the reports its tests wrote in reports/. */
  service: string;
  /** Moves the portal's clock forward. */
  advance: (ms: number) => void;
  ladder: { environments: any[] };
}) {
  const { portal, files, service, advance, ladder } = options;
  const build = yaml.parse(files.get('.github/workflows/build.yaml')!);
  const deploy = yaml.parse(files.get('.github/workflows/deploy.yaml')!);
  // A pin that does not match refuses the download.
  await expect(
    installCliFromPortal(files, {
      DELIVERY_URL: portal.url,
      DELIVERY_TOKEN: portal.token,
      DELIVERY_CLI_SHA256: '0'.repeat(64),
    }),
  ).rejects.toThrow('FAILED');
  const delivery = await installCliFromPortal(files, {
    DELIVERY_URL: portal.url,
    DELIVERY_TOKEN: portal.token,
  });
  const digest = `sha256:${randomBytes(32).toString('hex')}`;
  const sha = randomBytes(20).toString('hex');
  const [owner, repo] = build.env.IMAGE.split('/').slice(1);
  const env: Record<string, string> = {
    PATH: `${dirname(delivery)}:${process.env.PATH}`,
    DELIVERY_URL: portal.url,
    DELIVERY_TOKEN: portal.token,
    COMPONENT: build.env.COMPONENT,
    IMAGE: build.env.IMAGE,
    NAME: deploy.env.NAME,
    DIGEST: digest,
    GITHUB_SHA: sha,
    GITHUB_REF_NAME: 'main',
    GITHUB_RUN_ID: '4242',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: `${owner}/${repo}`,
    GITHUB_ACTOR: 'octo-pusher',
    GITHUB_OUTPUT: join(mkdtempSync(join(tmpdir(), 'gh-output-')), 'out'),
    GITHUB_STEP_SUMMARY: join(mkdtempSync(join(tmpdir(), 'gh-summary-')), 'md'),
  };
  const github = {
    'github.workflow': 'Deploy',
    'github.run_id': '4242',
    'github.server_url': 'https://github.com',
    'github.repository': `${owner}/${repo}`,
  };
  const transcript: string[] = [];
  const step = async (script: string, cwd: string, extra = {}) => {
    const result = await run(script, cwd, { ...env, ...extra });
    transcript.push(`$ ${script}\n${result.stdout}${result.stderr}`);
    if (result.code !== 0) {
      throw new Error(`exit ${result.code}:\n${transcript.slice(-1)[0]}`);
    }
    return result.stdout;
  };

  // The job folder: the reports where the jobs find them (downloaded
  // artifacts land in the job's folder, or in reports/).
  const job = mkdtempSync(join(tmpdir(), 'job-'));
  cpSync(join(service, 'reports'), join(job, 'reports'), { recursive: true });
  cpSync(join(service, 'reports'), job, { recursive: true });
  writeFileSync(
    join(job, 'trivy.json'),
    JSON.stringify({
      SchemaVersion: 2,
      ArtifactName: `${env.IMAGE}@${digest}`,
      Metadata: { RepoDigests: [`${env.IMAGE}@${digest}`] },
      Results: [{ Target: `${env.IMAGE} (debian 12.11)`, Vulnerabilities: [] }],
    }),
  );

  // build: the record step as written, on the rendered repository (the
  // image size is what `docker buildx imagetools` would print).
  execFileSync('git', ['init', '-q'], { cwd: service });
  execFileSync('git', ['add', '-A'], { cwd: service });
  execFileSync(
    'git',
    [
      '-c',
      'user.name=Dev',
      '-c',
      'user.email=dev@acme.example',
      'commit',
      '--allow-empty',
      '-q',
      '-m',
      'first',
    ],
    { cwd: service },
  );
  const record = build.jobs.build.steps.find(
    (st: any) => st.name === 'Record the build in the ledger',
  ).run;
  await step(record.replace(/^size=.*$/m, 'size=52428800'), service);

  // evidence, container-test, contract-test, scan: their portal calls.
  for (const name of ['evidence', 'container-test', 'contract-test', 'scan']) {
    for (const line of deliveryLines(build.jobs[name])) await step(line, job);
  }

  // sign: GitHub's attestations, here signed with the pipeline's key.
  const bundle = (predicateType: string, predicate: unknown) => {
    const path = join(job, `${randomBytes(4).toString('hex')}.sigstore.json`);
    writeFileSync(
      path,
      JSON.stringify(
        signWithKey(
          inTotoStatement({
            name: env.IMAGE,
            digest,
            predicateType,
            predicate,
          }),
          { id: 'ci', privateKey: CI_KEY.privateKey },
        ),
      ),
    );
    return path;
  };
  const attest = deliveryLines(build.jobs.sign).join('\n');
  await step(
    expand(attest, {
      'steps.signature.outputs.bundle-path': bundle(
        'https://sigstore.dev/cosign/sign/v1',
        {},
      ),
      'steps.provenance.outputs.bundle-path': bundle(
        'https://slsa.dev/provenance/v1',
        githubProvenance({
          repository: env.GITHUB_REPOSITORY,
          ref: 'refs/heads/main',
          commit: sha,
          workflow: '.github/workflows/build.yaml',
          runId: 4242,
        }),
      ),
      'steps.sbom.outputs.bundle-path': bundle('https://cyclonedx.org/bom', {
        bomFormat: 'CycloneDX',
        specVersion: '1.5',
        components: [],
      }),
    }),
    job,
  );

  // deploy.yaml into each environment: request (waiting for approvals),
  // rollout, smoke test, success. The request-next job asks first; the
  // soak time refuses it until the clock has moved.
  const steps = deploy.jobs.deploy.steps;
  const requested = steps.find((st: any) => st.id === 'requested').run;
  // The success path: the rollout completes without restarts, the smoke
  // test passes (the lines that report a failure are not taken).
  const after = deliveryLines({
    steps: steps.filter((st: any) =>
      ['Wait for the rollout', 'Smoke test'].includes(st.name),
    ),
  }).filter(line => !/ report "\$PROMOTION" failed /.test(line));
  const refusals: string[] = [];
  for (const [index, environment] of ladder.environments.entries()) {
    if (index > 0) {
      const next = await step(
        build.jobs['request-next'].steps.find(
          (st: any) => st.name === "Ask the portal's gates",
        ).run,
        job,
        {
          NEXT_ENVIRONMENT: environment.name,
          FIRST_ENVIRONMENT: ladder.environments[0].name,
        },
      );
      refusals.push(next);
      advance(durationMs(environment.soakTime) + 60_000);
    }
    const pending = step(expand(requested, github), job, {
      ENVIRONMENT: environment.name,
    });
    if (environment.approvals?.count) {
      await approveWhenPending(portal, env.COMPONENT, environment);
    }
    await pending;
    const promotion = execFileSync(
      'jq',
      ['-r', '.promotion.id', join(job, 'promotion.json')],
      {
        encoding: 'utf8',
      },
    ).trim();
    for (const line of after) {
      await step(line, job, {
        PROMOTION: promotion,
        ENVIRONMENT: environment.name,
        restarts: '0',
        result: 'passed',
      });
    }
  }
  const scorecard = await portal.api(
    `/scorecards?component=${encodeURIComponent(env.COMPONENT)}`,
  );
  return { scorecard, refusals, transcript, digest };
}

/** 07:00 UTC of the next Monday to Friday: inside every ladder's windows. */
export function nextWeekdayMorning(): Date {
  const day = new Date();
  day.setUTCHours(7, 0, 0, 0);
  do {
    day.setUTCDate(day.getUTCDate() + 1);
  } while ([0, 6].includes(day.getUTCDay()));
  return day;
}

/** A ladder duration of app-config.yaml (30m, 2h), in milliseconds. */
function durationMs(text: string | undefined): number {
  if (!text) return 0;
  const [, amount, unit] = /^(\d+)([smhd])$/.exec(text)!;
  return Number(amount) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[unit]!;
}

/** Approves the component's pending promotion into the environment, as its approvers. */
async function approveWhenPending(
  portal: Portal,
  component: string,
  environment: { name: string; approvals: { count: number } },
) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { items } = await portal.api(
      `/promotions?component=${encodeURIComponent(
        component,
      )}&state=awaiting-approval`,
    );
    const pending = items.find((p: any) => p.environment === environment.name);
    if (pending) {
      const approvers = Object.keys(GROUPS).slice(
        0,
        environment.approvals.count,
      );
      for (const as of approvers) {
        await portal.api(`/promotions/${pending.id}/approve`, {
          method: 'POST',
          as,
          body: JSON.stringify({ comment: 'reviewed the evidence' }),
        });
      }
      return;
    }
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error(`no promotion into ${environment.name} waited for approval`);
}
