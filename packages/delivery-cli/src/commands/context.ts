import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { DeliveryApiSchemas } from '@backstage-delivery/plugin-delivery-common';
import { DeliveryApiClient } from '../client';
import { CliError, ExitCode } from '../exitCodes';
import { CliIO, Output, parseDuration } from '../output';

export type Schemas = DeliveryApiSchemas;
export type Promotion = Schemas['Promotion'];

/** What every command needs: the API, the output, the clock. */
export interface Context {
  client: DeliveryApiClient;
  out: Output;
  env: Record<string, string | undefined>;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Builds the context from the global options and the environment. */
export function contextOf(command: Command, io: CliIO): Context {
  const options = command.optsWithGlobals() as {
    url?: string;
    token?: string;
    json?: boolean;
    retries?: string;
  };
  const out = new Output(io, Boolean(options.json));
  const url = options.url ?? io.env.DELIVERY_URL;
  if (!url) {
    throw new CliError(
      'Set DELIVERY_URL to the portal backend (e.g. https://backstage.example.com) or pass --url',
      ExitCode.BAD_INPUT,
    );
  }
  const token = options.token ?? io.env.DELIVERY_TOKEN;
  if (!token) {
    throw new CliError(
      'Set DELIVERY_TOKEN to a token the portal accepts (a static external-access token for pipelines) or pass --token',
      ExitCode.BAD_INPUT,
    );
  }
  const retries = Number(options.retries ?? 4);
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) {
    throw new CliError('--retries must be 0 to 10', ExitCode.BAD_INPUT);
  }
  const sleep =
    io.sleep ?? ((ms: number) => new Promise(r => setTimeout(r, ms)));
  return {
    client: new DeliveryApiClient({
      baseUrl: url,
      token,
      retries,
      fetch: io.fetch,
      sleep,
      log: message => out.progress(message),
    }),
    out,
    env: io.env,
    now: io.now ?? Date.now,
    sleep,
  };
}

/** A duration option (`90s`, `30m`, `2h`, `1d`), or a bad-input error naming it. */
export function durationOption(value: string, option: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw new CliError(
      `${option} '${value}' is not a duration such as 90s, 30m, 2h or 1d`,
      ExitCode.BAD_INPUT,
    );
  }
  return ms;
}

/** A non-negative number option, or a bad-input error naming it. */
export function numberOption(
  value: string | undefined,
  option: string,
  options: { integer?: boolean; max?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (
    !Number.isFinite(n) ||
    n < 0 ||
    (options.integer && !Number.isInteger(n)) ||
    (options.max !== undefined && n > options.max)
  ) {
    throw new CliError(
      `${option} '${value}' must be a ${
        options.integer ? 'whole ' : ''
      }number from 0${options.max !== undefined ? ` to ${options.max}` : ''}`,
      ExitCode.BAD_INPUT,
    );
  }
  return n;
}

/** `sha256:` and 64 hex digits. */
export function digestOption(value: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(value)) {
    throw new CliError(
      `--digest '${value}' is not an image digest (sha256: and 64 hex digits); use the digest the registry returned on push`,
      ExitCode.BAD_INPUT,
    );
  }
  return value;
}

/** Finds the recorded artifact of a component with a digest. */
export async function artifactByDigest(
  ctx: Context,
  component: string,
  digest: string,
): Promise<Schemas['Artifact']> {
  const { data } = await ctx.client.get<{ items: Schemas['Artifact'][] }>(
    '/artifacts',
    { component, digest: digestOption(digest) },
  );
  const [artifact] = data.items;
  if (!artifact) {
    throw new CliError(
      `No artifact ${digest} is recorded for ${component}; run "delivery artifact record" first`,
      ExitCode.BAD_INPUT,
    );
  }
  return artifact;
}

const VERDICT_MARK: Record<string, string> = {
  passed: '✓',
  failed: '✗',
  pending: '…',
  skipped: '-',
};

/** Every gate's verdict, one per line. */
export function gateLines(promotion: Promotion): string[] {
  return promotion.gates.map(
    g => `  ${VERDICT_MARK[g.verdict] ?? '?'} ${g.gate}: ${g.message}`,
  );
}

/** `1.4.2 (sha256:ab12…) → production: awaiting-approval`. */
export function promotionLine(promotion: Promotion): string {
  const tags = promotion.artifact.tags.join(', ');
  return `${tags ? `${tags} ` : ''}(${promotion.artifact.digest.slice(
    0,
    19,
  )}…) → ${promotion.environment}: ${promotion.state}`;
}

/** GitHub Actions' build coordinates, used when the options are not given. */
export function githubDefaults(env: Record<string, string | undefined>) {
  const runUrl =
    env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  return {
    commit: env.GITHUB_SHA,
    branch: env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME,
    buildId: env.GITHUB_RUN_ID,
    buildUrl: runUrl,
  };
}

/**
 * The people GitHub Actions names for a run, for separation of duties: the
 * commit author (from the push event's head commit), who pushed
 * ($GITHUB_ACTOR) and who started this run, which differs on a re-run
 * ($GITHUB_TRIGGERING_ACTOR). Anything unknown is left out.
 */
export function githubPeople(env: Record<string, string | undefined>) {
  let author: { email?: unknown; username?: unknown } | undefined;
  if (env.GITHUB_EVENT_PATH) {
    try {
      author = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'))
        ?.head_commit?.author;
    } catch {
      author = undefined; // no event file, or not JSON: nothing to add
    }
  }
  const text = (value: unknown) =>
    typeof value === 'string' && value ? value : undefined;
  return {
    commitAuthorEmail: text(author?.email),
    commitAuthorLogin: text(author?.username),
    pushedBy: text(env.GITHUB_ACTOR),
    startedBy: text(env.GITHUB_TRIGGERING_ACTOR) ?? text(env.GITHUB_ACTOR),
  };
}
