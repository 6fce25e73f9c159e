import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { CliError, ExitCode } from '../exitCodes';
import { addCounts, parseJUnit } from '../evidence/junit';
import { breaches, parseTrivy, Severity, SEVERITIES } from '../evidence/trivy';
import { CliIO } from '../output';
import {
  artifactByDigest,
  Context,
  contextOf,
  githubDefaults,
  Schemas,
} from './context';

const TEST_KINDS = [
  'unit-test',
  'integration-test',
  'contract-test',
  'container-test',
  'smoke-test',
];
const ALL_KINDS = [
  'unit-test',
  'integration-test',
  'contract-test',
  'container-test',
  'image-scan',
  'manifest-validation',
  'smoke-test',
  'signature',
  'provenance',
  'sbom',
];

async function read(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `Cannot read ${file}: ${(error as Error).message}`,
      ExitCode.BAD_INPUT,
    );
  }
}

async function readBytes(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new CliError(
      `Cannot read ${file}: ${(error as Error).message}`,
      ExitCode.BAD_INPUT,
    );
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `${file} is not JSON: ${(error as Error).message}`,
      ExitCode.BAD_INPUT,
    );
  }
}

async function attach(
  ctx: Context,
  options: { component: string; digest: string; reportUrl?: string },
  evidence: {
    kind: string;
    result: 'passed' | 'failed';
    summary?: Schemas['EvidenceSummary'];
  },
  detail: string,
) {
  const artifact = await artifactByDigest(
    ctx,
    options.component,
    options.digest,
  );
  const url = options.reportUrl ?? githubDefaults(ctx.env).buildUrl;
  const { data } = await ctx.client.request<Schemas['Evidence']>(
    'POST',
    `/artifacts/${artifact.id}/evidence`,
    {
      body: { ...evidence, ...(url ? { url } : {}) },
    },
  );
  ctx.out.result(data, [
    `Recorded ${data.kind} ${data.result} for ${
      artifact.tags.join(', ') || artifact.digest
    }: ${detail}`,
  ]);
  return data;
}

function withTarget(command: Command): Command {
  return command
    .requiredOption(
      '--component <ref>',
      'the component, e.g. component:default/payments-api',
    )
    .requiredOption('--digest <digest>', 'the recorded image digest (sha256:…)')
    .option(
      '--report-url <url>',
      'link to the report or the CI step (default: the GitHub Actions run)',
    );
}

export function evidenceCommand(io: CliIO): Command {
  const evidence = new Command('evidence').description(
    'Attach evidence to a recorded build. Each command exits 0 once the evidence is recorded, whether it passed or failed: the gates judge it (trivy --fail-on can also fail the step).',
  );

  withTarget(
    evidence
      .command('junit')
      .description(
        'Test results from JUnit XML reports (failed when any test failed or errored)',
      )
      .argument('<files...>', 'JUnit XML files; counts are added up')
      .option('--kind <kind>', `one of ${TEST_KINDS.join(', ')}`, 'unit-test'),
  ).action(async (files: string[], options, command: Command) => {
    if (!TEST_KINDS.includes(options.kind)) {
      throw new CliError(
        `--kind must be one of ${TEST_KINDS.join(', ')}`,
        ExitCode.BAD_INPUT,
      );
    }
    const counts = addCounts(
      await Promise.all(files.map(async f => parseJUnit(await read(f), f))),
    );
    const ctx = contextOf(command, io);
    await attach(
      ctx,
      options,
      {
        kind: options.kind,
        result: counts.failed > 0 ? 'failed' : 'passed',
        summary: { tests: counts },
      },
      `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
    );
  });

  withTarget(
    evidence
      .command('trivy')
      .description(
        'An image scan from a Trivy JSON report (trivy image --format json)',
      )
      .argument('<file>', 'the Trivy JSON report')
      .option(
        '--fail-on <severity>',
        `record the scan as failed, and exit 4, when a finding is at this severity or worse (${SEVERITIES.join(
          ', ',
        )})`,
      ),
  ).action(async (file: string, options, command: Command) => {
    if (options.failOn && !SEVERITIES.includes(options.failOn)) {
      throw new CliError(
        `--fail-on must be one of ${SEVERITIES.join(', ')}`,
        ExitCode.BAD_INPUT,
      );
    }
    const counts = parseTrivy(await read(file), file, options.digest);
    const failed = options.failOn
      ? breaches(counts, options.failOn as Severity)
      : false;
    const ctx = contextOf(command, io);
    await attach(
      ctx,
      options,
      {
        kind: 'image-scan',
        result: failed ? 'failed' : 'passed',
        summary: { vulnerabilities: counts },
      },
      SEVERITIES.map(s => `${counts[s]} ${s}`).join(', '),
    );
    if (failed) {
      throw new CliError(
        `The image has findings at ${options.failOn} severity or worse`,
        ExitCode.FAILED,
      );
    }
  });

  withTarget(
    evidence
      .command('attest')
      .description(
        'Signatures and attestations as Sigstore bundles (actions/attest, actions/attest-build-provenance, cosign --bundle). The portal verifies each one against its configured trust and records it as verified evidence, or refuses it (exit 2) saying which check failed.',
      )
      .argument('<bundles...>', 'bundle JSON files')
      .option(
        '--kind <kind>',
        `the evidence kind, for predicate types the portal does not know (${ALL_KINDS.join(
          ', ',
        )})`,
      )
      .option(
        '--payload <file>',
        'the signed bytes of a message-signature bundle (cosign sign-blob); attestations carry their own',
      ),
  ).action(async (files: string[], options, command: Command) => {
    if (options.kind && !ALL_KINDS.includes(options.kind)) {
      throw new CliError(
        `--kind must be one of ${ALL_KINDS.join(', ')}`,
        ExitCode.BAD_INPUT,
      );
    }
    const bundles = await Promise.all(
      files.map(async file => ({
        file,
        bundle: parseJson(await read(file), file),
      })),
    );
    const payload = options.payload
      ? (await readBytes(options.payload)).toString('base64')
      : undefined;
    const ctx = contextOf(command, io);
    const artifact = await artifactByDigest(
      ctx,
      options.component,
      options.digest,
    );
    const url = options.reportUrl ?? githubDefaults(ctx.env).buildUrl;
    for (const { file, bundle } of bundles) {
      const { status, data } = await ctx.client.request<Schemas['Evidence']>(
        'POST',
        `/artifacts/${artifact.id}/attestations`,
        {
          body: {
            bundle,
            ...(options.kind ? { kind: options.kind } : {}),
            ...(payload ? { payload } : {}),
            ...(url ? { url } : {}),
          },
        },
      );
      const v = data.verification;
      ctx.out.result(data, [
        `${status === 200 ? 'Already verified' : 'Verified'} ${data.kind} for ${
          artifact.tags.join(', ') || artifact.digest
        } from ${file}: signed by ${
          v?.signer.subject ?? v?.signer.keyId ?? 'unknown'
        }${
          v?.transparencyLog
            ? `, transparency log entry ${v.transparencyLog.logIndex}`
            : ''
        }`,
      ]);
    }
  });

  withTarget(
    evidence
      .command('add')
      .description(
        'Any other evidence, e.g. manifest-validation or smoke-test, with its result',
      )
      .requiredOption('--kind <kind>', ALL_KINDS.join(', '))
      .requiredOption('--result <result>', 'passed or failed'),
  ).action(async (options, command: Command) => {
    if (!ALL_KINDS.includes(options.kind)) {
      throw new CliError(
        `--kind must be one of ${ALL_KINDS.join(', ')}`,
        ExitCode.BAD_INPUT,
      );
    }
    if (options.result !== 'passed' && options.result !== 'failed') {
      throw new CliError(
        '--result must be passed or failed',
        ExitCode.BAD_INPUT,
      );
    }
    const ctx = contextOf(command, io);
    await attach(
      ctx,
      options,
      { kind: options.kind, result: options.result },
      options.result,
    );
  });

  return evidence;
}
