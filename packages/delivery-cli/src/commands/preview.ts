import { Command } from 'commander';
import { CliError, ExitCode } from '../exitCodes';
import { CliIO } from '../output';
import { Context, contextOf, digestOption, Schemas } from './context';

type Preview = Schemas['Preview'];

function target(options: { pullRequest?: string; branch?: string }) {
  if ((options.pullRequest === undefined) === (options.branch === undefined)) {
    throw new CliError(
      'Give either --pull-request or --branch',
      ExitCode.BAD_INPUT,
    );
  }
  if (options.pullRequest !== undefined) {
    const n = Number(options.pullRequest);
    if (!Number.isInteger(n) || n < 1) {
      throw new CliError(
        `--pull-request '${options.pullRequest}' is not a pull request number`,
        ExitCode.BAD_INPUT,
      );
    }
    return { pullRequest: n };
  }
  return { branch: options.branch! };
}

async function findLive(
  ctx: Context,
  component: string,
  t: { pullRequest?: number; branch?: string },
) {
  let cursor: string | undefined;
  do {
    const { data } = await ctx.client.get<{
      items: Preview[];
      nextCursor?: string;
    }>('/previews', {
      component,
      limit: 100,
      cursor,
    });
    const found = data.items.find(
      p =>
        (t.pullRequest !== undefined
          ? p.pullRequest === t.pullRequest
          : p.branch === t.branch) &&
        p.state !== 'deleted' &&
        p.state !== 'failed',
    );
    if (found) return found;
    cursor = data.nextCursor;
  } while (cursor);
  return undefined;
}

function describe(p: Preview) {
  return `${p.namespace} in cluster ${p.cluster}: ${p.state}, expires ${p.expiresAt}`;
}

export function previewCommand(io: CliIO): Command {
  const preview = new Command('preview').description(
    'Preview namespaces for pull requests and branches',
  );
  preview
    .command('create')
    .description(
      "Create the preview namespace of a pull request or branch, or get the live one (safe to repeat). Prints its namespace; the pipeline deploys there with the namespace's preview-deployer service account. Exit 3 when the component has as many previews as allowed.",
    )
    .requiredOption('--component <ref>', 'the component')
    .option('--pull-request <number>', 'the pull request')
    .option('--branch <name>', 'or the branch')
    .option('--digest <digest>', 'the recorded build it previews')
    .option('--ttl <ttl>', "lifetime: 30m, 4h, 2d (default: the portal's)")
    .action(async (options, command: Command) => {
      const t = target(options);
      if (options.ttl && !/^[1-9][0-9]{0,4}(m|h|d)$/.test(options.ttl)) {
        throw new CliError(
          `--ttl '${options.ttl}' is not a lifetime such as 30m, 4h or 2d`,
          ExitCode.BAD_INPUT,
        );
      }
      const ctx = contextOf(command, io);
      const { status, data } = await ctx.client.request<Preview>(
        'POST',
        '/previews',
        {
          body: {
            component: options.component,
            ...t,
            ...(options.digest ? { digest: digestOption(options.digest) } : {}),
            ...(options.ttl ? { ttl: options.ttl } : {}),
          },
        },
      );
      ctx.out.result(data, [
        `${status === 201 ? 'Created' : 'Exists'}: ${describe(data)}`,
        data.namespace,
      ]);
    });

  preview
    .command('destroy')
    .description(
      'Destroy the live preview of a pull request or branch; nothing to destroy is fine (exit 0).',
    )
    .requiredOption('--component <ref>', 'the component')
    .option('--pull-request <number>', 'the pull request')
    .option('--branch <name>', 'or the branch')
    .action(async (options, command: Command) => {
      const t = target(options);
      const ctx = contextOf(command, io);
      const live = await findLive(ctx, options.component, t);
      if (!live) {
        ctx.out.result({ preview: null }, [
          `No live preview of ${options.component} for ${
            t.pullRequest !== undefined
              ? `pull request ${t.pullRequest}`
              : `branch ${t.branch}`
          }`,
        ]);
        return;
      }
      const { data } = await ctx.client.request<Preview>(
        'DELETE',
        `/previews/${live.id}`,
        {},
      );
      ctx.out.result({ preview: data }, [`Destroying ${describe(data)}`]);
    });
  return preview;
}
