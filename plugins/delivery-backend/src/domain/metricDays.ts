/**
 * Delivery metrics kept per component, ladder, environment and UTC day, in
 * the write path: how a day's row is built from the promotions that touch it,
 * how rows add up (the organisation's rows are the sum of every component's),
 * and how the DORA and pipeline figures are read back from rows. The
 * definitions are those of the aggregate queries (database/MetricsStore.ts);
 * the store tests assert that both give the same figures.
 */
import type {
  DoraFigures,
  DoraQuery,
  PipelineFigures,
  PipelineQuery,
} from './metrics';

export const DAY_MS = 86_400_000;

/** The UTC day (days since 1970-01-01) of an epoch-ms time. */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

/** The component_ref of the organisation's rows. */
export const ORGANISATION = '*';

/** Production promotions went live in these states (rolled back ones too). */
export const LIVE_STATES = ['succeeded', 'rolled-back'];
/** Changes that failed in production. */
export const FAILED_STATES = ['failed', 'errored', 'rolled-back'];
/** Every production change that reached a deployment. */
export const CHANGE_STATES = ['succeeded', 'failed', 'errored', 'rolled-back'];

export interface MetricDay {
  componentRef: string;
  ladder: string;
  environment: string;
  day: number;
  /** Changes (normal, hotfix) that went live this day. */
  deployments: number;
  /** Changes that reached a deployment, by when they went live or ended. */
  changes: number;
  failures: number;
  /** Changes not failed whose before/after comparison found a metric worse. */
  worse: number;
  /** Commit → live, for releases live this day. */
  leadTimes: number[];
  /** Build recorded → live, for releases live this day. */
  environmentTimes: number[];
  /** Incidents that started this day. */
  incidents: number;
  /** Incident start → the next release live, for the incidents restored. */
  restoreTimes: number[];
  /** Promotion requests made this day, the refused ones, and by failed gate. */
  requests: number;
  refused: number;
  refusedByGate: Record<string, number>;
  /** Request → the approval that completed it. */
  approvalWaits: number[];
}

/** What a promotion contributes to the rows of its days. */
export interface PromotionFact {
  ladder: string;
  kind: string;
  state: string;
  /** The stored gate verdicts (JSON). */
  gates: string;
  requiredApprovals: number;
  createdAt: number;
  completedAt?: number;
  wentLiveAt?: number;
  commitTime?: number;
  artifactCreatedAt: number;
  worse: boolean;
  /** Times of its approvals (decision approve). */
  approvals: number[];
  /** When it is an incident: the first release of its component and environment live after the incident started. */
  nextLiveAt?: number;
}

const isChange = (f: PromotionFact) =>
  f.kind === 'normal' || f.kind === 'hotfix';

/** When a promotion's incident started, if it is one. */
export function incidentStart(f: {
  kind: string;
  state: string;
  createdAt: number;
  completedAt?: number;
}): number | undefined {
  if (
    (f.kind === 'normal' || f.kind === 'hotfix') &&
    (f.state === 'failed' || f.state === 'errored')
  ) {
    return f.completedAt;
  }
  if (f.kind === 'rollback' && f.state !== 'refused') return f.createdAt;
  return undefined;
}

/** Gates a refused request failed, as the aggregate query matches them. */
function failedGates(gates: string): string[] {
  return [...gates.matchAll(/"gate":"([^"]+)","verdict":"failed"/g)].map(
    m => m[1],
  );
}

export function emptyDay(
  key: Pick<MetricDay, 'componentRef' | 'ladder' | 'environment' | 'day'>,
): MetricDay {
  return {
    ...key,
    deployments: 0,
    changes: 0,
    failures: 0,
    worse: 0,
    leadTimes: [],
    environmentTimes: [],
    incidents: 0,
    restoreTimes: [],
    requests: 0,
    refused: 0,
    refusedByGate: {},
    approvalWaits: [],
  };
}

export const isEmptyDay = (d: MetricDay) =>
  d.requests === 0 &&
  d.changes === 0 &&
  d.incidents === 0 &&
  d.leadTimes.length === 0 &&
  d.environmentTimes.length === 0;

/**
 * The rows of one component and environment for the days [fromDay, toDay],
 * from every promotion that was created, ended or went live in them.
 */
export function buildDays(
  componentRef: string,
  environment: string,
  facts: PromotionFact[],
  fromDay: number,
  toDay: number,
): MetricDay[] {
  const rows = new Map<string, MetricDay>();
  const at = (ladder: string, ms: number | undefined) => {
    if (ms === undefined) return undefined;
    const day = dayOf(ms);
    if (day < fromDay || day > toDay) return undefined;
    const key = `${ladder}\n${day}`;
    let row = rows.get(key);
    if (!row) {
      row = emptyDay({ componentRef, ladder, environment, day });
      rows.set(key, row);
    }
    return row;
  };
  for (const f of facts) {
    const created = at(f.ladder, f.createdAt);
    if (created) {
      created.requests += 1;
      if (f.state === 'refused') {
        created.refused += 1;
        for (const gate of new Set(failedGates(f.gates))) {
          created.refusedByGate[gate] = (created.refusedByGate[gate] ?? 0) + 1;
        }
      }
      if (
        f.requiredApprovals > 0 &&
        f.approvals.length >= f.requiredApprovals
      ) {
        created.approvalWaits.push(Math.max(...f.approvals) - f.createdAt);
      }
    }
    const live = LIVE_STATES.includes(f.state);
    if (isChange(f) && CHANGE_STATES.includes(f.state)) {
      const change = at(f.ladder, f.wentLiveAt ?? f.completedAt);
      if (change) {
        change.changes += 1;
        if (live) change.deployments += 1;
        if (FAILED_STATES.includes(f.state)) change.failures += 1;
        else if (f.worse) change.worse += 1;
      }
    }
    if (isChange(f) && live && f.wentLiveAt !== undefined) {
      const row = at(f.ladder, f.wentLiveAt);
      if (row) {
        if (f.commitTime !== undefined) {
          row.leadTimes.push(f.wentLiveAt - f.commitTime);
        }
        row.environmentTimes.push(f.wentLiveAt - f.artifactCreatedAt);
      }
    }
    const started = incidentStart(f);
    const incident = at(f.ladder, started);
    if (incident && started !== undefined) {
      incident.incidents += 1;
      if (f.nextLiveAt !== undefined) {
        incident.restoreTimes.push(f.nextLiveAt - started);
      }
    }
  }
  return [...rows.values()].filter(row => !isEmptyDay(row));
}

/** Removes each of `values` once from `list` (a multiset difference). */
function withoutEach(list: number[], values: number[]): number[] {
  const remove = new Map<number, number>();
  for (const v of values) remove.set(v, (remove.get(v) ?? 0) + 1);
  return list.filter(v => {
    const n = remove.get(v);
    if (!n) return true;
    remove.set(v, n - 1);
    return false;
  });
}

const LISTS = [
  'leadTimes',
  'environmentTimes',
  'restoreTimes',
  'approvalWaits',
] as const;
const COUNTS = [
  'deployments',
  'changes',
  'failures',
  'worse',
  'incidents',
  'requests',
  'refused',
] as const;

/** `total` moved by what changed from `before` to `after` (rows of one key). */
export function applyDifference(
  total: MetricDay,
  before: MetricDay | undefined,
  after: MetricDay | undefined,
): MetricDay {
  const next: MetricDay = {
    ...total,
    refusedByGate: { ...total.refusedByGate },
  };
  for (const key of COUNTS) {
    next[key] += (after?.[key] ?? 0) - (before?.[key] ?? 0);
  }
  for (const key of LISTS) {
    next[key] = [
      ...withoutEach(total[key], before?.[key] ?? []),
      ...(after?.[key] ?? []),
    ];
  }
  const gates = new Set([
    ...Object.keys(before?.refusedByGate ?? {}),
    ...Object.keys(after?.refusedByGate ?? {}),
  ]);
  for (const gate of gates) {
    const n =
      (next.refusedByGate[gate] ?? 0) +
      (after?.refusedByGate[gate] ?? 0) -
      (before?.refusedByGate[gate] ?? 0);
    if (n) next.refusedByGate[gate] = n;
    else delete next.refusedByGate[gate];
  }
  return next;
}

/** Adds a row into a running total (which it changes and returns). */
export function addDay(total: MetricDay, day: MetricDay): MetricDay {
  for (const key of COUNTS) total[key] += day[key];
  for (const key of LISTS) {
    for (const v of day[key]) total[key].push(v);
  }
  for (const [gate, n] of Object.entries(day.refusedByGate)) {
    total.refusedByGate[gate] = (total.refusedByGate[gate] ?? 0) + n;
  }
  return total;
}

/** Nearest-rank k/d quantile of sorted values (rank ⌈k·n/d⌉). */
function quantile(sorted: number[], k: number, d: number): number {
  return sorted[Math.floor((k * sorted.length + d - 1) / d) - 1];
}

const sortedMerge = (lists: number[][]) => lists.flat().sort((a, b) => a - b);

function summary(values: number[][]) {
  const sorted = sortedMerge(values);
  return sorted.length
    ? {
        n: sorted.length,
        medianMs: quantile(sorted, 1, 2),
        p90Ms: quantile(sorted, 9, 10),
      }
    : { n: 0 };
}

/** Windows read from days must start at a day and bucket by whole days. */
function checkAligned(q: { from: number; to: number; bucketMs?: number }) {
  if (
    q.from % DAY_MS !== 0 ||
    q.to % DAY_MS !== 0 ||
    (q.bucketMs ?? DAY_MS) % DAY_MS !== 0
  ) {
    throw new Error(
      'Metric days answer windows of whole UTC days, with whole-day buckets',
    );
  }
}

/** The DORA figures of production rows of the window. */
export function doraFromDays(rows: MetricDay[], q: DoraQuery): DoraFigures {
  checkAligned(q);
  const production = new Set(
    q.production.map(p => `${p.ladder}\n${p.environment}`),
  );
  const inScope = rows.filter(r =>
    production.has(`${r.ladder}\n${r.environment}`),
  );
  const buckets = new Map<
    number,
    DoraFigures['series'][number] & { leads: number[][] }
  >();
  for (const r of inScope) {
    const bucket = Math.floor((r.day * DAY_MS - q.from) / q.bucketMs);
    const entry = buckets.get(bucket) ?? {
      bucket,
      deployments: 0,
      changes: 0,
      failures: 0,
      leads: [],
    };
    entry.deployments += r.deployments;
    entry.changes += r.changes;
    entry.failures += r.failures + (q.countWorse ? r.worse : 0);
    entry.leads.push(r.leadTimes);
    buckets.set(bucket, entry);
  }
  const series = [...buckets.values()]
    .filter(b => b.changes > 0)
    .sort((a, b) => a.bucket - b.bucket)
    .map(({ leads, ...b }) => {
      const lead = summary(leads);
      return lead.n ? { ...b, leadTimeMedianMs: lead.medianMs } : b;
    });
  const lead = summary(inScope.map(r => r.leadTimes));
  const restore = summary(inScope.map(r => r.restoreTimes));
  return {
    deployments: series.reduce((sum, b) => sum + b.deployments, 0),
    leadTime: lead.n
      ? { samples: lead.n, medianMs: lead.medianMs, p90Ms: lead.p90Ms }
      : { samples: 0 },
    changeFailure: {
      changes: series.reduce((sum, b) => sum + b.changes, 0),
      failures: series.reduce((sum, b) => sum + b.failures, 0),
    },
    restore: {
      incidents: inScope.reduce((sum, r) => sum + r.incidents, 0),
      restored: restore.n,
      ...(restore.n ? { medianMs: restore.medianMs } : {}),
    },
    series,
  };
}

/** The pipeline figures of the window's rows, but for evidence (not kept in days). */
export function pipelineFromDays(
  rows: MetricDay[],
  q: PipelineQuery,
): Omit<PipelineFigures, 'evidence'> {
  checkAligned(q);
  const byEnvironment = new Map<string, number[][]>();
  for (const r of rows) {
    byEnvironment.set(r.environment, [
      ...(byEnvironment.get(r.environment) ?? []),
      r.environmentTimes,
    ]);
  }
  const timeToEnvironment = [...byEnvironment]
    .map(([environment, lists]) => ({ environment, ...summary(lists) }))
    .filter(e => e.n > 0)
    .map(e => ({
      environment: e.environment,
      releases: e.n,
      medianMs: e.medianMs!,
      p90Ms: e.p90Ms,
    }))
    .sort((a, b) => a.environment.localeCompare(b.environment));
  const byGate = q.gates
    .map(gate => ({
      gate,
      refused: rows.reduce((sum, r) => sum + (r.refusedByGate[gate] ?? 0), 0),
    }))
    .filter(g => g.refused > 0)
    .sort((a, b) => b.refused - a.refused || a.gate.localeCompare(b.gate));
  const waits = summary(rows.map(r => r.approvalWaits));
  return {
    timeToEnvironment,
    refusals: {
      requests: rows.reduce((sum, r) => sum + r.requests, 0),
      refused: rows.reduce((sum, r) => sum + r.refused, 0),
      byGate,
    },
    approvalWait: waits.n
      ? { promotions: waits.n, medianMs: waits.medianMs, p90Ms: waits.p90Ms }
      : { promotions: 0 },
  };
}
