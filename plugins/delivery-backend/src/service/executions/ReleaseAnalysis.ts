import { parseEntityRef } from '@backstage/catalog-model';
import {
  AnalysisConfig,
  AnalysisVars,
  judge,
  Measurement,
  renderQuery,
  Verdict,
} from '../../domain/analysis';
import { listInWords } from '../../domain/describe';
import {
  MetricsProvider,
  MetricsUnavailableError,
} from '../../prometheus/PrometheusClient';
import type { ExecutionContext } from './Executor';

/** What an analysis means for a step: fail it, or go on with a note. */
export type AnalysisOutcome =
  | { kind: 'failed'; reason: string }
  | { kind: 'ok'; note: string };

/** The placeholders' values for a promotion's digest (the new one unless told). */
export function analysisVars(
  ctx: Pick<ExecutionContext, 'namespace' | 'promotion' | 'environment'>,
  digest: string,
): AnalysisVars {
  return {
    namespace: ctx.namespace,
    component: parseEntityRef(ctx.promotion.componentRef).name,
    environment: ctx.environment.name,
    digest,
  };
}

/**
 * Runs an environment's analysis queries through the metrics provider and
 * judges them. A query the provider cannot answer (down, slow, no data) is
 * unknown, never a pass; unknown fails when the environment says
 * `onUnknown: fail` (the default for production).
 */
export class ReleaseAnalysis {
  constructor(private readonly provider: MetricsProvider | undefined) {}

  async measure(
    analysis: AnalysisConfig,
    vars: AnalysisVars,
    at?: number,
  ): Promise<Measurement[]> {
    return Promise.all(
      analysis.queries.map(async (q): Promise<Measurement> => {
        const query = renderQuery(q.query, vars);
        if (!this.provider) {
          return { name: q.name, query, unknown: 'no metrics provider' };
        }
        try {
          return {
            name: q.name,
            query,
            value: await this.provider.instant(query, at),
          };
        } catch (error) {
          if (error instanceof MetricsUnavailableError) {
            return { name: q.name, query, unknown: error.message };
          }
          throw error;
        }
      }),
    );
  }

  /** The analysis of the context's environment, for `digest`; nothing when it has none. */
  async evaluate(
    ctx: ExecutionContext,
    when: string,
  ): Promise<AnalysisOutcome | undefined> {
    const analysis = ctx.environment.analysis;
    if (!analysis) return undefined;
    const verdict: Verdict = judge(
      analysis,
      await this.measure(analysis, analysisVars(ctx, ctx.artifact.digest)),
    );
    if (verdict.outcome === 'fail') {
      return {
        kind: 'failed',
        reason: `analysis ${when} failed: ${listInWords(verdict.reasons)}`,
      };
    }
    if (verdict.outcome === 'unknown') {
      return analysis.onUnknown === 'fail'
        ? {
            kind: 'failed',
            reason: `analysis ${when} could not be judged, and ${
              ctx.environment.name
            } fails closed: ${listInWords(verdict.reasons)}`,
          }
        : {
            kind: 'ok',
            note: `analysis ${when} unknown (going on, onUnknown: continue): ${listInWords(
              verdict.reasons,
            )}`,
          };
    }
    return {
      kind: 'ok',
      note: `analysis ${when} passed: ${listInWords(verdict.findings)}`,
    };
  }
}
