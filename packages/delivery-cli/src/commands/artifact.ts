import { Command } from 'commander';
import { CliIO } from '../output';
import {
  contextOf,
  digestOption,
  githubDefaults,
  githubPeople,
  numberOption,
  Schemas,
} from './context';

export function artifactCommand(io: CliIO): Command {
  const artifact = new Command('artifact').description(
    'Builds (artifacts) in the ledger',
  );
  artifact
    .command('record')
    .description(
      'Record a pushed image once, by digest. Repeating the same record is harmless (the portal answers with the existing artifact); a different payload for a recorded digest, or a tag that would move, is refused (exit 4).',
    )
    .requiredOption(
      '--component <ref>',
      'the component, e.g. component:default/payments-api',
    )
    .requiredOption(
      '--image <repository>',
      'image repository, e.g. ghcr.io/acme/payments-api',
    )
    .requiredOption(
      '--digest <digest>',
      'image digest from the push (sha256:…)',
    )
    .option(
      '--tag <tag>',
      'a tag of the image (repeatable); tags never move',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--commit <sha>', 'commit SHA (default: $GITHUB_SHA)')
    .option(
      '--commit-time <time>',
      'commit time, ISO 8601 (e.g. from git log -1 --format=%cI)',
    )
    .option(
      '--branch <name>',
      'branch (default: $GITHUB_HEAD_REF or $GITHUB_REF_NAME)',
    )
    .option('--build-id <id>', 'CI build id (default: $GITHUB_RUN_ID)')
    .option(
      '--build-url <url>',
      'link to the CI run (default: the GitHub Actions run)',
    )
    .option('--size <bytes>', 'image size in bytes')
    .option('--base-image <ref>', 'base image reference, by digest')
    .option(
      '--commit-author-email <email>',
      "the commit author's e-mail (default: the push event's head commit)",
    )
    .option(
      '--commit-author-login <login>',
      "the commit author's GitHub login (default: the push event's head commit)",
    )
    .option(
      '--triggered-by <login>',
      'who pushed or started the build (default: $GITHUB_ACTOR)',
    )
    .action(async (options, command: Command) => {
      const ctx = contextOf(command, io);
      const defaults = githubDefaults(ctx.env);
      const people = githubPeople(ctx.env);
      const commitSha = options.commit ?? defaults.commit;
      const body = {
        component: options.component,
        digest: digestOption(options.digest),
        imageRepository: options.image,
        tags: options.tag,
        commitSha,
        commitTime: options.commitTime,
        branch: options.branch ?? defaults.branch,
        buildId: options.buildId ?? defaults.buildId,
        buildUrl: options.buildUrl ?? defaults.buildUrl,
        sizeBytes: numberOption(options.size, '--size', { integer: true }),
        baseImage: options.baseImage,
        commitAuthorEmail:
          options.commitAuthorEmail ?? people.commitAuthorEmail,
        commitAuthorLogin:
          options.commitAuthorLogin ?? people.commitAuthorLogin,
        triggeredBy: options.triggeredBy ?? people.pushedBy,
      };
      const { status, data } = await ctx.client.request<Schemas['Artifact']>(
        'POST',
        '/artifacts',
        {
          body: Object.fromEntries(
            Object.entries(body).filter(([, v]) => v !== undefined),
          ),
        },
      );
      ctx.out.result(data, [
        `${status === 201 ? 'Recorded' : 'Already recorded'} ${
          data.tags.join(', ') || data.digest
        } of ${data.component}`,
        `  artifact ${data.id}`,
        `  digest   ${data.digest}`,
      ]);
    });
  return artifact;
}
