import type { GitOpsExecutorConfig } from '../../domain/executions';
import { entityName, sourceRepository } from '../../domain/refs';
import { shortDigest } from '../../domain/describe';
import { OverlayRepository } from '../../scm/gitOverlays';
import { ClusterFollower } from './clusterFollower';
import { ExecutionContext, Executor, StepResult } from './Executor';

/** Who the executor's commits are by. */
export const COMMIT_AUTHOR = {
  name: 'Backstage Delivery',
  email: 'delivery@backstage.invalid',
};

/**
 * The `gitops` executor: commits the digest into the component's kustomize
 * overlay for the environment and pushes it; Argo CD or Flux applies it. It
 * then waits until the cluster runs the digest, verifies as the kubernetes
 * executor does, and on failure or abort commits the previous digest back.
 */
export class GitOpsExecutor implements Executor {
  constructor(
    private readonly options: {
      repository: OverlayRepository;
      follower: ClusterFollower;
    },
  ) {}

  private where(ctx: ExecutionContext) {
    const config = ctx.environment.executor as GitOpsExecutorConfig;
    const component = entityName(ctx.promotion.componentRef);
    const repository = config.repository
      ? config.repository.replaceAll('{component}', component)
      : sourceRepository(ctx.entity)?.url;
    return {
      config,
      repository,
      path: config.path
        .replaceAll('{component}', component)
        .replaceAll('{environment}', ctx.environment.name),
    };
  }

  private async commit(
    ctx: ExecutionContext,
    digest: string,
    title: string,
  ): Promise<StepResult> {
    const { config, repository, path } = this.where(ctx);
    if (!repository) {
      return {
        kind: 'error',
        reason: `${ctx.promotion.componentRef} has no source repository (github.com/project-slug or backstage.io/source-location) and the gitops executor names none`,
      };
    }
    const approvers = ctx.approvals
      .filter(a => a.decision === 'approve')
      .map(a => a.approverRef);
    const result = await this.options.repository.setImageDigest({
      repository,
      branch: config.branch,
      path,
      image: config.image,
      digest,
      message: [
        title,
        '',
        `Promotion: ${ctx.promotion.id}`,
        `Requested-by: ${ctx.promotion.requestedBy}`,
        ...(approvers.length ? [`Approved-by: ${approvers.join(', ')}`] : []),
        `Digest: ${digest}`,
      ].join('\n'),
      author: COMMIT_AUTHOR,
    });
    const link = /^https:\/\/(github\.com|gitlab\.com)\//.test(repository)
      ? [
          {
            title: `commit ${result.commit.slice(0, 7)}`,
            url: `${repository}/commit/${result.commit}`,
          },
        ]
      : [];
    return {
      kind: 'done',
      message: result.changed
        ? `committed ${shortDigest(digest)} to ${path} on ${
            config.branch
          } of ${repository} (${result.commit.slice(0, 7)})`
        : `${path} on ${
            config.branch
          } of ${repository} already names ${shortDigest(digest)}`,
      memo: { commit: result.commit, links: link },
      detail: { links: link },
    };
  }

  act(ctx: ExecutionContext): Promise<StepResult> {
    const tag = ctx.artifact.tags[0] ?? shortDigest(ctx.artifact.digest);
    return this.commit(
      ctx,
      ctx.artifact.digest,
      `Deploy ${entityName(ctx.promotion.componentRef)} ${tag} to ${
        ctx.environment.name
      }`,
    );
  }

  rollout(ctx: ExecutionContext): Promise<StepResult> {
    return this.options.follower.rollout(ctx, 'the GitOps controller');
  }

  verify(ctx: ExecutionContext): Promise<StepResult> {
    return this.options.follower.verify(ctx);
  }

  async revert(ctx: ExecutionContext): Promise<StepResult> {
    const previous = ctx.deployment.previousDigest;
    if (!previous) {
      return {
        kind: 'done',
        message: `nothing to put back: ${ctx.environment.name} had no earlier release`,
      };
    }
    const result = await this.commit(
      ctx,
      previous,
      `Revert ${entityName(ctx.promotion.componentRef)} in ${
        ctx.environment.name
      } to ${shortDigest(previous)}`,
    );
    return result.kind === 'done'
      ? {
          ...result,
          message: `put the previous release back: ${result.message}`,
        }
      : result;
  }
}
