import { Command } from 'commander';
import { ApiError } from '../client';
import { CliError, ExitCode } from '../exitCodes';
import { CliIO, formatDuration } from '../output';
import {
  Context,
  contextOf,
  digestOption,
  durationOption,
  gateLines,
  githubDefaults,
  githubPeople,
  numberOption,
  Promotion,
  promotionLine,
} from './context';

type WaitTarget = 'approval' | 'release';

const REACHED: Record<WaitTarget, string[]> = {
  approval: ['approved', 'deploying', 'verifying', 'succeeded'],
  release: ['succeeded'],
};
const REFUSED_STATES = ['refused', 'rejected'];
const ENDED_STATES = ['failed', 'errored', 'aborted', 'rolled-back'];
const ENDED_WORDS: Record<string, string> = {
  'rolled-back': 'was rolled back',
  aborted: 'was aborted',
};

function progressLine(p: Promotion): string {
  const parts: string[] = [p.state];
  if (p.state === 'awaiting-approval') {
    const who = p.approvals.decisions
      .filter(d => d.decision === 'approve')
      .map(d => d.by.replace(/^user:(default\/)?/, ''));
    parts.push(
      `${p.approvals.received} of ${p.approvals.required} approvals${
        who.length ? ` (${who.join(', ')})` : ''
      }`,
    );
  }
  const last = p.events?.[p.events.length - 1];
  if (last?.message) parts.push(last.message);
  return parts.join(' · ');
}

/**
 * Polls a promotion until it reaches `target` (exit 0), ends otherwise
 * (refused/rejected: 3; failed, errored, aborted, rolled back: 4) or the
 * timeout passes (5). Prints each change, and a line a minute while nothing
 * changes, on stderr.
 */
export async function waitFor(
  ctx: Context,
  id: string,
  target: WaitTarget,
  timeoutMs: number,
  intervalMs: number,
): Promise<Promotion> {
  const started = ctx.now();
  let last = '';
  let lastPrinted = started;
  for (;;) {
    const { data: p } = await ctx.client.get<Promotion>(`/promotions/${id}`);
    const elapsed = formatDuration(ctx.now() - started);
    const line = progressLine(p);
    if (line !== last) {
      ctx.out.progress(`[${elapsed}] ${promotionLine(p)} · ${line}`);
      last = line;
      lastPrinted = ctx.now();
    } else if (ctx.now() - lastPrinted >= 60_000) {
      ctx.out.progress(`[${elapsed}] still ${line}`);
      lastPrinted = ctx.now();
    }
    if (REACHED[target].includes(p.state)) return p;
    if (REFUSED_STATES.includes(p.state)) {
      throw new CliError(
        `The promotion was ${p.state}${p.outcome ? `: ${p.outcome}` : ''}`,
        ExitCode.REFUSED,
        p,
      );
    }
    if (ENDED_STATES.includes(p.state)) {
      throw new CliError(
        `The promotion ${ENDED_WORDS[p.state] ?? p.state}${
          p.outcome ? `: ${p.outcome}` : ''
        }`,
        ExitCode.FAILED,
        p,
      );
    }
    if (ctx.now() - started + intervalMs > timeoutMs) {
      throw new CliError(
        `Timed out after ${formatDuration(timeoutMs)} waiting for ${
          target === 'approval' ? 'approval' : 'the release'
        }; the promotion ${p.id} is ${p.state}`,
        ExitCode.TIMED_OUT,
        p,
      );
    }
    await ctx.sleep(intervalMs);
  }
}

function waitOptions(command: Command, what: string): Command {
  return command
    .option('--wait <target>', `wait for "approval" or "release" ${what}`)
    .option('--timeout <duration>', 'how long to wait (e.g. 30m, 2h)', '1h')
    .option('--interval <duration>', 'how often to check', '10s');
}

async function maybeWait(ctx: Context, promotion: Promotion, options: any) {
  if (!options.wait) return promotion;
  if (options.wait !== 'approval' && options.wait !== 'release') {
    throw new CliError(
      '--wait must be approval or release',
      ExitCode.BAD_INPUT,
    );
  }
  return waitFor(
    ctx,
    promotion.id,
    options.wait,
    durationOption(options.timeout, '--timeout'),
    durationOption(options.interval, '--interval'),
  );
}

function checkWait(options: any) {
  if (
    options.wait &&
    options.wait !== 'approval' &&
    options.wait !== 'release'
  ) {
    throw new CliError(
      '--wait must be approval or release',
      ExitCode.BAD_INPUT,
    );
  }
  durationOption(options.timeout, '--timeout');
  durationOption(options.interval, '--interval');
}

export function promotionCommands(io: CliIO): Command[] {
  const promote = waitOptions(
    new Command('promote')
      .description(
        "Request a promotion of a recorded build into an environment and print every gate's verdict. Exit 0 when allowed (approved, or waiting for approval), 3 when the gates refuse it.",
      )
      .requiredOption(
        '--component <ref>',
        'the component, e.g. component:default/payments-api',
      )
      .requiredOption(
        '--digest <digest>',
        'the recorded image digest (sha256:…)',
      )
      .requiredOption('--to <environment>', 'the environment, e.g. staging')
      .option(
        '--hotfix',
        'override deploy windows and freezes (needs delivery.promotion.override)',
      )
      .option('--reason <text>', 'why, for the ledger and the approvers')
      .option(
        '--triggered-by <login>',
        'who started this run, who may then not approve it (default: $GITHUB_TRIGGERING_ACTOR or $GITHUB_ACTOR)',
      ),
    'after the request',
  ).action(async (options, command: Command) => {
    checkWait(options);
    const ctx = contextOf(command, io);
    const triggeredBy = options.triggeredBy ?? githubPeople(ctx.env).startedBy;
    let promotion: Promotion;
    try {
      ({ data: promotion } = await ctx.client.request<Promotion>(
        'POST',
        '/promotions',
        {
          body: {
            component: options.component,
            digest: digestOption(options.digest),
            environment: options.to,
            ...(options.hotfix ? { kind: 'hotfix' } : {}),
            ...(options.reason ? { reason: options.reason } : {}),
            ...(triggeredBy ? { triggeredBy } : {}),
          },
        },
      ));
    } catch (error) {
      const refused =
        error instanceof ApiError ? error.body?.promotion : undefined;
      if (refused) {
        if (!ctx.out.json) {
          ctx.out.result(undefined, [
            promotionLine(refused),
            ...gateLines(refused),
          ]);
        }
        throw new CliError(
          `Refused: ${(error as ApiError).body.error.message}`,
          ExitCode.REFUSED,
          { promotion: refused },
        );
      }
      throw error;
    }
    if (!options.wait || options.json) {
      ctx.out.result({ promotion }, [
        promotionLine(promotion),
        ...gateLines(promotion),
        `  promotion ${promotion.id}`,
      ]);
    } else {
      ctx.out.progress(
        [promotionLine(promotion), ...gateLines(promotion)].join('\n'),
      );
    }
    const final = await maybeWait(ctx, promotion, options);
    if (options.wait && !options.json) {
      ctx.out.result({ promotion: final }, [
        promotionLine(final),
        `  promotion ${final.id}`,
      ]);
    }
  });

  const wait = new Command('wait')
    .description(
      'Wait for a promotion to be approved ("approval") or released ("release"), printing progress. Exit 0 when reached, 3 when refused or rejected, 4 when it failed, errored, was aborted or rolled back, 5 on timeout.',
    )
    .argument('<promotion-id>', 'the promotion')
    .requiredOption('--for <target>', 'approval or release')
    .option('--timeout <duration>', 'how long to wait (e.g. 30m, 2h)', '1h')
    .option('--interval <duration>', 'how often to check', '10s')
    .action(async (id: string, options, command: Command) => {
      if (options.for !== 'approval' && options.for !== 'release') {
        throw new CliError(
          '--for must be approval or release',
          ExitCode.BAD_INPUT,
        );
      }
      const timeout = durationOption(options.timeout, '--timeout');
      const interval = durationOption(options.interval, '--interval');
      const ctx = contextOf(command, io);
      const p = await waitFor(ctx, id, options.for, timeout, interval);
      ctx.out.result({ promotion: p }, [promotionLine(p)]);
    });

  const report = new Command('report')
    .description(
      "Report a rollout event of a promotion: deploying, verifying, succeeded, failed or errored, with metrics. Metrics over the environment's rollback thresholds fail the promotion (exit 4).",
    )
    .argument('<promotion-id>', 'the promotion')
    .argument('<event>', 'deploying | verifying | succeeded | failed | errored')
    .option('--error-rate <rate>', 'share of failed requests, 0 to 1')
    .option('--restarts <n>', 'container restarts')
    .option('--readiness-failures <n>', 'readiness probe failures')
    .option('--p95-ms <ms>', 'p95 latency in milliseconds')
    .option('--message <text>', 'what happened, in words')
    .action(async (id: string, event: string, options, command: Command) => {
      const events = [
        'deploying',
        'verifying',
        'succeeded',
        'failed',
        'errored',
      ];
      if (!events.includes(event)) {
        throw new CliError(
          `<event> must be one of ${events.join(', ')}`,
          ExitCode.BAD_INPUT,
        );
      }
      const metrics = Object.fromEntries(
        Object.entries({
          errorRate: numberOption(options.errorRate, '--error-rate', {
            max: 1,
          }),
          restarts: numberOption(options.restarts, '--restarts', {
            integer: true,
          }),
          readinessFailures: numberOption(
            options.readinessFailures,
            '--readiness-failures',
            {
              integer: true,
            },
          ),
          p95LatencyMs: numberOption(options.p95Ms, '--p95-ms'),
        }).filter(([, v]) => v !== undefined),
      );
      const ctx = contextOf(command, io);
      const { data: p } = await ctx.client.request<Promotion>(
        'POST',
        `/promotions/${id}/events`,
        {
          body: {
            type: event,
            ...(Object.keys(metrics).length ? { metrics } : {}),
            ...(options.message ? { message: options.message } : {}),
          },
        },
      );
      ctx.out.result({ promotion: p }, [
        promotionLine(p),
        ...(p.outcome ? [`  ${p.outcome}`] : []),
      ]);
      if (p.state === 'failed' && event !== 'failed') {
        throw new CliError(
          `The promotion failed: ${p.outcome ?? 'metrics over the thresholds'}`,
          ExitCode.FAILED,
        );
      }
    });

  const rollback = waitOptions(
    new Command('rollback')
      .description(
        'Roll an environment back to its last known good build (the newest earlier release that succeeded and is not quarantined).',
      )
      .requiredOption('--component <ref>', 'the component')
      .requiredOption('--env <environment>', 'the environment to roll back')
      .requiredOption('--reason <text>', 'why, for the ledger'),
    'after the request',
  ).action(async (options, command: Command) => {
    checkWait(options);
    const ctx = contextOf(command, io);
    const { data: promotion } = await ctx.client.request<Promotion>(
      'POST',
      '/rollbacks',
      {
        body: {
          component: options.component,
          environment: options.env,
          reason: options.reason,
        },
      },
    );
    ctx.out.progress(
      [promotionLine(promotion), ...gateLines(promotion)].join('\n'),
    );
    const final = await maybeWait(ctx, promotion, options);
    ctx.out.result({ promotion: final }, [
      promotionLine(final),
      `  promotion ${final.id}`,
    ]);
  });

  const execute = new Command('execute')
    .description(
      'In a deploy workflow the portal dispatched (the github-actions executor): check that the promotion is the one the workflow was started for and still approved, report it deploying with a link to this run, and print what to deploy. Then deploy, and `report` verifying and succeeded (or failed) on the same promotion. Exit 0 when it may be deployed; 2 when it is another promotion; 4 when it is no longer approved (aborted, refused, already taken).',
    )
    .argument('<promotion-id>', 'the promotion the portal dispatched')
    .option('--environment <env>', 'the environment it was dispatched for')
    .option('--digest <digest>', 'the digest it was dispatched with')
    .option(
      '--message <text>',
      'what to say in the ledger (default: a link to this run)',
    )
    .action(async (id: string, options, command: Command) => {
      const digest = options.digest ? digestOption(options.digest) : undefined;
      const ctx = contextOf(command, io);
      const { data: p } = await ctx.client.get<Promotion>(`/promotions/${id}`);
      const mismatch = [
        options.environment && options.environment !== p.environment
          ? `it is for ${p.environment}, not ${options.environment}`
          : undefined,
        digest && digest !== p.artifact.digest
          ? `it promotes ${p.artifact.digest}, not ${digest}`
          : undefined,
      ].filter(Boolean);
      if (mismatch.length) {
        throw new CliError(
          `Promotion ${id} is not the one this run was dispatched for: ${mismatch.join(
            '; ',
          )}`,
          ExitCode.BAD_INPUT,
          { promotion: p },
        );
      }
      if (p.state !== 'approved') {
        throw new CliError(
          `Promotion ${id} is ${p.state}${
            p.outcome ? ` (${p.outcome})` : ''
          }; only an approved promotion is deployed`,
          ExitCode.FAILED,
          { promotion: p },
        );
      }
      const run = githubDefaults(ctx.env).buildUrl;
      const { data: deploying } = await ctx.client.request<Promotion>(
        'POST',
        `/promotions/${id}/events`,
        {
          body: {
            type: 'deploying',
            message:
              options.message ?? (run ? `deploying in ${run}` : 'deploying'),
          },
        },
      );
      const image = `${deploying.artifact.imageRepository}@${deploying.artifact.digest}`;
      ctx.out.result(
        {
          promotion: deploying,
          component: deploying.component,
          environment: deploying.environment,
          digest: deploying.artifact.digest,
          image,
        },
        [
          promotionLine(deploying),
          `  deploy ${image} to ${deploying.environment}`,
        ],
      );
    });

  return [promote, wait, report, rollback, execute];
}
