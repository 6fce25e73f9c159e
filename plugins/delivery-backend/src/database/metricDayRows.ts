/** Rows of delivery_metric_days and the ledger rows they are built from. */
import { Knex } from 'knex';
import { MetricDay, PromotionFact } from '../domain/metricDays';
import { num, optNum } from './util';

export type Row = Record<string, unknown>;

const list = (value: unknown): number[] => JSON.parse(String(value));

export function fromRow(r: Row): MetricDay {
  return {
    componentRef: String(r.component_ref),
    ladder: String(r.ladder),
    environment: String(r.environment),
    day: num(r.day),
    deployments: num(r.deployments),
    changes: num(r.changes),
    failures: num(r.failures),
    worse: num(r.worse),
    leadTimes: list(r.lead_times),
    environmentTimes: list(r.environment_times),
    incidents: num(r.incidents),
    restoreTimes: list(r.restore_times),
    requests: num(r.requests),
    refused: num(r.refused),
    refusedByGate: JSON.parse(String(r.refused_by_gate)),
    approvalWaits: list(r.approval_waits),
  };
}

export function toRow(d: MetricDay) {
  return {
    component_ref: d.componentRef,
    ladder: d.ladder,
    environment: d.environment,
    day: d.day,
    deployments: d.deployments,
    changes: d.changes,
    failures: d.failures,
    worse: d.worse,
    lead_times: JSON.stringify(d.leadTimes),
    environment_times: JSON.stringify(d.environmentTimes),
    incidents: d.incidents,
    restored: d.restoreTimes.length,
    slowest_restore_ms: d.restoreTimes.length
      ? Math.max(...d.restoreTimes)
      : null,
    restore_times: JSON.stringify(d.restoreTimes),
    requests: d.requests,
    refused: d.refused,
    skip_attempts: d.refusedByGate.ladder ?? 0,
    refused_by_gate: JSON.stringify(d.refusedByGate),
    approval_waits: JSON.stringify(d.approvalWaits),
  };
}

export const keyOf = (d: Pick<MetricDay, 'ladder' | 'day'>) =>
  `${d.ladder}\n${d.day}`;

/** The first of the sorted times after `t`. */
export function firstAfter(sorted: number[], t: number): number | undefined {
  return sorted.find(x => x > t);
}

export function toFact(
  r: Row,
  approvals: Map<string, number[]>,
): PromotionFact {
  return {
    ladder: String(r.ladder),
    kind: String(r.kind),
    state: String(r.state),
    gates: String(r.gates),
    requiredApprovals: num(r.required_approvals),
    createdAt: num(r.created_at),
    completedAt: optNum(r.completed_at),
    wentLiveAt: optNum(r.went_live_at),
    commitTime: optNum(r.commit_time),
    artifactCreatedAt: num(r.artifact_created_at),
    worse: Boolean(r.worse),
    approvals: approvals.get(String(r.id)) ?? [],
  };
}

/** Approve decisions of these promotions, by promotion. */
export async function approvalsOf(
  db: Knex | Knex.Transaction,
  promotionIds: string[],
): Promise<Map<string, number[]>> {
  const result = new Map<string, number[]>();
  for (let i = 0; i < promotionIds.length; i += 500) {
    const rows = await db('delivery_approvals')
      .select('promotion_id', 'created_at')
      .where('decision', 'approve')
      .whereIn('promotion_id', promotionIds.slice(i, i + 500));
    for (const r of rows) {
      const id = String(r.promotion_id);
      result.set(id, [...(result.get(id) ?? []), num(r.created_at)]);
    }
  }
  return result;
}
