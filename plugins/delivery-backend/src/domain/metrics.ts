/**
 * What the delivery metrics are computed from: the queries the metrics store
 * answers and the figures it gives, judged and reported by dora.ts.
 */

/** The last environment of a ladder: where releases count as production. */
export interface ProductionEnvironment {
  ladder: string;
  environment: string;
}

export interface DoraQuery {
  /** Window start, inclusive (epoch ms). */
  from: number;
  /** Window end, exclusive (epoch ms). */
  to: number;
  /** Length of a series bucket, from `from`. */
  bucketMs: number;
  production: ProductionEnvironment[];
  /** Only these components; undefined for the whole organisation. */
  componentRefs?: string[];
  /** Whether releases that made a metric worse (before/after) count as failed changes. */
  countWorse?: boolean;
}

export interface DoraFigures {
  /** Production releases (normal and hotfix) that went live in the window. */
  deployments: number;
  leadTime: { samples: number; medianMs?: number; p90Ms?: number };
  changeFailure: { changes: number; failures: number };
  restore: { incidents: number; restored: number; medianMs?: number };
  series: Array<{
    bucket: number;
    deployments: number;
    changes: number;
    failures: number;
    leadTimeMedianMs?: number;
  }>;
}

export interface PipelineQuery {
  from: number;
  to: number;
  /** Only these components; undefined for the whole organisation. */
  componentRefs?: string[];
  /** Gate names to break refusals down by. */
  gates: readonly string[];
}

export interface PipelineFigures {
  /** Build recorded → live, per environment, for releases of the window. */
  timeToEnvironment: Array<{
    environment: string;
    releases: number;
    medianMs: number;
    p90Ms?: number;
  }>;
  /** Promotion requests of the window, the refused ones, and by failed gate. */
  refusals: {
    requests: number;
    refused: number;
    byGate: Array<{ gate: string; refused: number }>;
  };
  /** Request → the approval that completed it, for approved promotions. */
  approvalWait: { promotions: number; medianMs?: number; p90Ms?: number };
  /** Evidence reported in the window, by kind. */
  evidence: Array<{ kind: string; reported: number; failed: number }>;
}
