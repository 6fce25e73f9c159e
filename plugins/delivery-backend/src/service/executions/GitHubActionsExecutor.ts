import type { GitHubActionsExecutorConfig } from '../../domain/executions';
import { sourceRepository } from '../../domain/refs';
import { WorkflowPort, WorkflowTarget } from '../../scm/githubWorkflows';
import { ExecutionContext, Executor, StepResult } from './Executor';

/**
 * The `github-actions` executor: dispatches the component's deploy workflow
 * (`workflow_dispatch` with environment, digest and promotion), which
 * reports on that promotion with the CLI; until it does, the executor looks
 * up the run to link it.
 */
export class GitHubActionsExecutor implements Executor {
  constructor(private readonly workflows: WorkflowPort) {}

  private target(ctx: ExecutionContext): WorkflowTarget | undefined {
    const config = ctx.environment.executor as GitHubActionsExecutorConfig;
    const repo = sourceRepository(ctx.entity, config.host);
    return repo && { ...repo, workflow: config.workflow };
  }

  async act(ctx: ExecutionContext): Promise<StepResult> {
    const config = ctx.environment.executor as GitHubActionsExecutorConfig;
    const target = this.target(ctx);
    if (!target) {
      return {
        kind: 'error',
        reason: `${ctx.promotion.componentRef} has no github.com/project-slug or backstage.io/source-location annotation, so its workflow cannot be found`,
      };
    }
    await this.workflows.dispatch(target, config.ref, {
      environment: ctx.environment.name,
      digest: ctx.artifact.digest,
      promotion: ctx.promotion.id,
    });
    return {
      kind: 'done',
      message: `dispatched ${config.workflow} on ${config.ref} of ${target.owner}/${target.repo}`,
    };
  }

  /** Looks up the run, to link it, until the workflow reports. */
  async rollout(ctx: ExecutionContext): Promise<StepResult> {
    const target = this.target(ctx)!;
    const run = await this.workflows.findRun(target, ctx.promotion.id);
    return {
      kind: 'waiting',
      waitingFor: `${target.workflow} to report deploying`,
      detail: run
        ? { links: [{ title: `workflow run (${run.status})`, url: run.url }] }
        : undefined,
    };
  }

  async verify(): Promise<StepResult> {
    return {
      kind: 'error',
      reason: 'the deploy workflow verifies its rollout',
    };
  }

  async revert(): Promise<StepResult> {
    return {
      kind: 'done',
      message: 'the deploy workflow puts the previous release back itself',
    };
  }
}
