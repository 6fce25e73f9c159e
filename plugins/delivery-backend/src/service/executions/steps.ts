import { PromotionState } from '@backstage-delivery/plugin-delivery-common';
import { DeploymentUpdate } from '../../database/DeploymentStore';
import { formatDuration } from '../../domain/describe';
import {
  DeploymentMemo,
  DeploymentPhase,
  ENDED_STATES,
  GitHubActionsExecutorConfig,
} from '../../domain/executions';
import { RolloutEventType, RolloutMetrics } from '../../domain/types';
import { ExecutionContext, Executor, StepResult } from './Executor';

/** What one step changes on its execution, and what it did, in words. */
export interface Advance {
  update: DeploymentUpdate;
  steps: Array<{ action: string; message: string }>;
}

/** What the step machine needs of the execution service. */
export interface StepHooks {
  /** Moves the promotion (false if it was no longer where the move starts). */
  move(
    to: PromotionState,
    event:
      | { type: RolloutEventType; message?: string; metrics?: RolloutMetrics }
      | undefined,
    outcome?: string,
  ): Promise<boolean>;
  /** The deploy-time checks, or nothing when they pass. */
  checks(moment: 'deploy' | 'release'): Promise<string | undefined>;
  interval: number;
}

/** Cluster-following executors: a rollout and a verification window. */
function timing(ctx: ExecutionContext) {
  const e = ctx.environment.executor;
  return 'rolloutTimeoutMs' in e
    ? { rollout: e.rolloutTimeoutMs, verification: e.verificationWindowMs }
    : { rollout: Infinity, verification: 0 };
}

/**
 * One step of an execution, from its phase and its promotion's state:
 *
 * - queued: the deploy-time checks (quarantine, evidence, windows); the
 *   executor acts; the promotion is deploying (dispatched, for a workflow).
 * - dispatched: waits for the workflow to report (it owns the rest).
 * - deploying: the quarantine and evidence again; waits for the rollout,
 *   failing it past its timeout; a rollback succeeds once rolled out.
 * - verifying: the thresholds on every step, the checks again at the end of
 *   the window; then the release.
 * - reverting: puts the previous release back after a failure or an abort.
 *
 * A promotion that ended meanwhile (aborted, failed) stops the execution, and
 * what the executor changed is put back.
 */
export async function advance(
  ctx: ExecutionContext,
  executor: Executor,
  hooks: StepHooks,
): Promise<Advance> {
  const { deployment: d, promotion: p, now } = ctx;
  const soon = now + hooks.interval;
  const finish = (action: string, message: string): Advance => ({
    update: {
      phase: 'finished',
      nextRunAt: now,
      progress: { message, since: now },
    },
    steps: [{ action, message }],
  });
  const phase = (
    next: DeploymentPhase,
    action: string,
    message: string,
    memo: DeploymentMemo = {},
  ): Advance => ({
    update: {
      phase: next,
      attempt: 0,
      memo: { ...d.memo, ...memo },
      nextRunAt: next === 'reverting' ? now : soon,
      progress: { message, since: now, links: memo.links ?? d.memo.links },
    },
    steps: [{ action, message }],
  });
  const wait = (result: StepResult & { kind: 'waiting' }): Advance => ({
    update: {
      attempt: 0,
      nextRunAt: soon,
      progress: {
        message: result.message ?? d.progress?.message ?? '',
        waitingFor: result.waitingFor,
        since:
          d.progress?.waitingFor === result.waitingFor ? d.progress.since : now,
        replicas: result.detail?.replicas,
        rollouts: result.detail?.rollouts,
        links: result.detail?.links ?? d.memo.links,
      },
    },
    steps: [],
  });
  /** The rollout failed: the promotion fails, and the previous release comes back. */
  const fail = async (reason: string, metrics?: RolloutMetrics) => {
    await hooks.move(
      'failed',
      { type: 'failed', message: reason, metrics },
      reason,
    );
    return p.kind === 'rollback'
      ? finish('failed', `${reason}; the rollback did not complete`)
      : phase('reverting', 'failed', reason);
  };
  const error = async (reason: string) => {
    await hooks.move(
      'errored',
      { type: 'errored', message: reason },
      `errored: ${reason}`,
    );
    return d.memo.actedAt && p.kind !== 'rollback'
      ? phase('reverting', 'errored', reason)
      : finish('errored', reason);
  };

  if (d.phase === 'reverting') {
    const result = await executor.revert(ctx);
    return finish(
      'reverted',
      result.kind === 'done'
        ? result.message
        : `could not put the previous release back: ${
            'reason' in result ? result.reason : ''
          }`,
    );
  }
  if (d.phase === 'dispatched' && p.state !== 'approved') {
    return finish(
      'handed-over',
      `the deploy workflow took it over; the promotion is ${p.state}`,
    );
  }
  if (ENDED_STATES.includes(p.state)) {
    const acted =
      d.memo.actedAt &&
      (d.phase === 'deploying' || d.phase === 'verifying') &&
      p.state !== 'succeeded' &&
      p.kind !== 'rollback';
    const why = `the promotion was ${p.state}${
      p.outcome ? ` (${p.outcome})` : ''
    }`;
    return acted
      ? phase(
          'reverting',
          'stopped',
          `${why}; putting the previous release back`,
        )
      : finish('stopped', why);
  }

  switch (d.phase) {
    case 'queued': {
      if (p.state !== 'approved')
        return finish('stopped', `the promotion is ${p.state}`);
      const refused = await hooks.checks('deploy');
      if (refused) {
        await hooks.move(
          'aborted',
          undefined,
          `stopped before deploying: ${refused}`,
        );
        return finish('stopped', refused);
      }
      const result = await executor.act(ctx);
      if (result.kind === 'error') return error(result.reason);
      if (result.kind !== 'done') throw new Error('an executor acts or fails');
      const memo = { ...result.memo, actedAt: now };
      if (d.executor === 'github-actions') {
        return phase('dispatched', 'dispatched', result.message, memo);
      }
      await hooks.move('deploying', {
        type: 'deploying',
        message: result.message,
      });
      return phase('deploying', 'acted', result.message, memo);
    }
    case 'dispatched': {
      const { reportTimeoutMs } = ctx.environment
        .executor as GitHubActionsExecutorConfig;
      if (now - (d.memo.actedAt ?? now) > reportTimeoutMs) {
        return error(
          `the deploy workflow did not report within ${formatDuration(
            reportTimeoutMs,
          )} of being dispatched`,
        );
      }
      const result = await executor.rollout(ctx);
      return result.kind === 'waiting'
        ? wait(result)
        : error('reason' in result ? result.reason : 'unexpected');
    }
    case 'deploying': {
      const refused = await hooks.checks('release');
      if (refused) return fail(refused);
      const result = await executor.rollout(ctx);
      if (result.kind === 'failed') return fail(result.reason);
      if (result.kind === 'error') return error(result.reason);
      if (result.kind === 'waiting') {
        const limit = timing(ctx).rollout;
        if (now - (d.memo.actedAt ?? now) > limit) {
          return fail(
            `the rollout did not finish within ${formatDuration(
              limit,
            )}: waiting for ${result.waitingFor}`,
          );
        }
        return wait(result);
      }
      if (p.kind === 'rollback') {
        await hooks.move('succeeded', {
          type: 'succeeded',
          message: result.message,
        });
        return finish('released', result.message);
      }
      await hooks.move('verifying', {
        type: 'verifying',
        message: result.message,
      });
      const window = timing(ctx).verification;
      return phase(
        'verifying',
        'rolled-out',
        `${result.message}; verifying for ${formatDuration(window)}`,
        { verifyUntil: now + window },
      );
    }
    case 'verifying': {
      const result = await executor.verify(ctx);
      if (result.kind === 'failed') return fail(result.reason, result.metrics);
      if (result.kind === 'error') return error(result.reason);
      const until = d.memo.verifyUntil ?? now;
      if (now < until) return wait(result as StepResult & { kind: 'waiting' });
      if (result.kind === 'waiting' && result.hold) {
        const limit = timing(ctx).rollout;
        return now - until > limit
          ? fail(
              `verified, but did not finish within ${formatDuration(
                limit,
              )}: waiting for ${result.waitingFor}`,
            )
          : wait(result);
      }
      const refused = await hooks.checks('release');
      if (refused) return fail(refused);
      const message = `verified for ${formatDuration(
        timing(ctx).verification,
      )}${'message' in result && result.message ? `: ${result.message}` : ''}`;
      await hooks.move('succeeded', {
        type: 'succeeded',
        message,
        metrics: 'metrics' in result ? result.metrics : undefined,
      });
      return finish('released', message);
    }
    default:
      return finish('stopped', `nothing to do in phase ${d.phase}`);
  }
}
