import { existsSync, readFileSync } from 'node:fs';
import { rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { createTwoFilesPatch } from 'diff';
import { examples } from './onboarding.examples';
import {
  describeOnboarding,
  inspectRepository,
  listFiles,
  planOnboarding,
  STACKS,
} from './repository';

/** Evidence kinds the onboarding pipeline records, per stack. */
const RECORDED_EVIDENCE = {
  common: [
    'manifest-validation',
    'image-scan',
    'signature',
    'provenance',
    'sbom',
    'smoke-test',
  ],
  tests: ['unit-test'],
};

/**
 * `delivery:repository:inspect` — looks at an existing repository fetched
 * into the workspace (fetch:plain) and says what the golden path has to add
 * for it: its stack (Node, Go, or a generic Dockerfile), whether it has a
 * Dockerfile and tests, and its existing workflows and Kubernetes manifests.
 *
 * @public
 */
export function createInspectRepositoryAction() {
  return createTemplateAction({
    id: 'delivery:repository:inspect',
    description:
      'Detects the stack of an existing repository in the workspace (Node, Go or a Dockerfile) and lists its workflows and Kubernetes manifests, for onboarding it onto the golden path.',
    examples: examples.filter(e => e.description.startsWith('Inspect')),
    supportsDryRun: true,
    schema: {
      input: {
        path: z =>
          z
            .string()
            .optional()
            .describe(
              'Folder of the workspace holding the repository; default .',
            ),
        stack: z =>
          z
            .enum(['auto', ...STACKS])
            .optional()
            .describe('The stack, or auto (default) to detect it'),
      },
      output: {
        stack: z => z.enum(STACKS).describe('node, go or dockerfile'),
        detectedFrom: z => z.string().describe('The file that decided it'),
        dockerfile: z => z.boolean().describe('It has a root Dockerfile'),
        hasTests: z => z.boolean().describe('It has tests the pipeline runs'),
        nodeMain: z => z.string().optional(),
        nodeBuild: z => z.boolean().optional(),
        goModule: z => z.string().optional(),
        workflows: z => z.array(z.string()),
        manifests: z => z.array(z.string()),
        catalogInfo: z => z.boolean(),
      },
    },
    async handler(ctx) {
      const dir = resolveSafeChildPath(
        ctx.workspacePath,
        ctx.input.path ?? '.',
      );
      const facts = inspectRepository(dir, ctx.input.stack ?? 'auto');
      ctx.logger.info(
        `Stack ${facts.stack} (from ${facts.detectedFrom}); ${
          facts.dockerfile ? 'has' : 'no'
        } Dockerfile; ${facts.hasTests ? 'has' : 'no'} tests; ${
          facts.workflows.length
        } workflow(s), ${facts.manifests.length} Kubernetes manifest(s)`,
      );
      for (const [key, value] of Object.entries(facts)) {
        ctx.output(key as keyof typeof facts, value as never);
      }
    },
  });
}

/**
 * `delivery:repository:plan` — lays the rendered golden-path files over the
 * existing repository without overwriting anything: files the repository has
 * are dropped from the change (a kustomize folder as a whole), its
 * catalog-info.yaml gets the delivery annotations. Outputs the pull request's
 * description and logs the diff, which a dry run in the template editor shows.
 *
 * @public
 */
export function createPlanOnboardingAction() {
  return createTemplateAction({
    id: 'delivery:repository:plan',
    description:
      'Keeps from the rendered golden-path files only what the existing repository lacks (catalog-info.yaml gets the annotations), and writes the pull request description.',
    examples: examples.filter(e => e.description.startsWith('Plan')),
    supportsDryRun: true,
    schema: {
      input: {
        repositoryPath: z =>
          z.string().describe('Folder of the workspace holding the repository'),
        changesPath: z =>
          z
            .string()
            .describe('Folder of the workspace holding the rendered files'),
        componentRef: z => z.string().describe('The component being onboarded'),
        annotations: z =>
          z
            .record(z.string(), z.string())
            .describe('Annotations its catalog entry needs'),
        ladder: z => z.string().describe('The ladder it follows'),
        environments: z =>
          z
            .array(
              z.object({ requiredEvidence: z.array(z.string()) }).passthrough(),
            )
            .optional()
            .describe(
              'The ladder as delivery:ladder:resolve outputs it, to name the evidence it requires that the pipeline does not record',
            ),
        stack: z =>
          z
            .enum(['auto', ...STACKS])
            .optional()
            .describe('The stack chosen for delivery:repository:inspect'),
        projectSlug: z =>
          z
            .string()
            .optional()
            .describe(
              'owner/repo: added as github.com/project-slug where the catalog entry has no source annotation',
            ),
        prune: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Remove the repository copy from the workspace afterwards, so that only the change remains; default true',
            ),
      },
      output: {
        description: z => z.string().describe('The pull request description'),
        added: z => z.array(z.string()),
        modified: z => z.array(z.string()),
        skipped: z => z.array(z.string()),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const repository = resolveSafeChildPath(
        ctx.workspacePath,
        input.repositoryPath,
      );
      const changes = resolveSafeChildPath(
        ctx.workspacePath,
        input.changesPath,
      );
      const facts = inspectRepository(repository, input.stack ?? 'auto');
      const componentName = input.componentRef.replace(/^.*[:/]/, '');
      const plan = planOnboarding({
        files: listFiles(repository),
        existing: path => {
          const file = join(repository, path);
          return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
        },
        rendered: listFiles(changes),
        componentName,
        annotations: input.annotations,
        ...(input.projectSlug
          ? {
              defaults: { 'github.com/project-slug': input.projectSlug },
            }
          : {}),
      });
      for (const { path } of plan.skipped) {
        await unlink(join(changes, path));
      }
      for (const { path, before, after } of plan.modified) {
        await writeFile(join(changes, path), after);
        ctx.logger.info(
          createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after),
        );
      }
      for (const path of plan.added) {
        ctx.logger.info(`new file: ${path}`);
      }
      for (const { path, reason } of plan.skipped) {
        ctx.logger.info(`left alone: ${path} (${reason})`);
      }
      const recorded = [
        ...RECORDED_EVIDENCE.common,
        ...(facts.hasTests ? RECORDED_EVIDENCE.tests : []),
      ];
      const missingEvidence = [
        ...new Set(
          (input.environments ?? [])
            .flatMap(env => env.requiredEvidence)
            .map(kind => /^[a-z0-9-]+/.exec(kind)?.[0] ?? kind)
            .filter(kind => !recorded.includes(kind)),
        ),
      ];
      const description = describeOnboarding({
        componentRef: input.componentRef,
        ladder: input.ladder,
        facts,
        plan,
        missingEvidence,
      });
      if (input.prune ?? true) {
        await rm(repository, { recursive: true, force: true });
      }
      ctx.output('description', description);
      ctx.output('added', plan.added);
      ctx.output(
        'modified',
        plan.modified.map(m => m.path),
      );
      ctx.output(
        'skipped',
        plan.skipped.map(s => s.path),
      );
    },
  });
}
