/**
 * Rows as the database returns them. Bigint columns are `number | string`
 * (strings on PostgreSQL) and are coerced with the helpers of util.ts.
 */

type BigInt = number | string;

export interface ArtifactRow {
  id: string;
  component_ref: string;
  digest: string;
  image_repository: string;
  commit_sha: string;
  commit_time: BigInt | null;
  branch: string | null;
  build_id: string | null;
  build_url: string | null;
  size_bytes: BigInt | null;
  base_image: string | null;
  commit_author_email: string | null;
  commit_author_login: string | null;
  triggered_by: string | null;
  created_by: string;
  created_at: BigInt;
}

export interface ArtifactTagRow {
  component_ref: string;
  tag: string;
  artifact_id: string;
  created_by: string;
  created_at: BigInt;
}

export interface EvidenceRow {
  id: BigInt;
  artifact_id: string;
  kind: string;
  result: string;
  status: string;
  summary: string | null;
  url: string | null;
  reported_by: string;
  reported_at: BigInt;
  verification: string | null;
  bundle_digest: string | null;
}

export interface QuarantineRow {
  id: BigInt;
  artifact_id: string;
  reason: string;
  quarantined_by: string;
  quarantined_at: BigInt;
  lift_reason: string | null;
  lifted_by: string | null;
  lifted_at: BigInt | null;
  active_lock: string | null;
}

export interface PromotionRow {
  id: string;
  component_ref: string;
  environment: string;
  ladder: string;
  artifact_id: string;
  kind: string;
  state: string;
  requested_by: string;
  triggered_by: string | null;
  people: string | null;
  committing_teams: string | null;
  reason: string | null;
  gates: string;
  required_approvals: BigInt;
  replaces_promotion_id: string | null;
  outcome: string | null;
  active_lock: string | null;
  created_at: BigInt;
  updated_at: BigInt;
  completed_at: BigInt | null;
  went_live_at: BigInt | null;
}

export interface ApprovalRow {
  id: BigInt;
  promotion_id: string;
  approver_ref: string;
  decision: string;
  comment: string | null;
  outside_committing_team: boolean | number | null;
  created_at: BigInt;
}

export interface RolloutEventRow {
  id: BigInt;
  promotion_id: string;
  type: string;
  metrics: string | null;
  message: string | null;
  reported_by: string;
  created_at: BigInt;
}

export interface ReleaseRow {
  component_ref: string;
  environment: string;
  promotion_id: string;
  artifact_id: string;
  released_at: BigInt;
  released_by: string;
}

export interface PreviewRow {
  id: string;
  component_ref: string;
  cluster: string;
  namespace: string;
  pull_request: BigInt | null;
  branch: string | null;
  artifact_id: string | null;
  state: string;
  reason: string | null;
  requested_by: string;
  live_target: string | null;
  slot: BigInt | null;
  created_at: BigInt;
  updated_at: BigInt;
  expires_at: BigInt;
  expiry_warned_for?: BigInt | null;
  deleted_at: BigInt | null;
}

export interface DeploymentRow {
  promotion_id: string;
  component_ref: string;
  environment: string;
  executor: string;
  phase: string;
  attempt: BigInt;
  target_digest: string;
  previous_digest: string | null;
  memo: string;
  progress: string | null;
  claimed_by: string | null;
  lease_expires_at: BigInt | null;
  next_run_at: BigInt;
  created_at: BigInt;
  updated_at: BigInt;
  finished_at: BigInt | null;
}

export interface DeploymentStepRow {
  id: BigInt;
  promotion_id: string;
  at: BigInt;
  action: string;
  message: string;
}
