import type { EvidenceKind } from '@backstage-delivery/plugin-delivery-common';
import type { RolloutEventType, RolloutMetrics } from '../domain/types';

/** A step of a demo scenario (see examples/delivery-demo.yaml). */
export interface Step {
  at: string;
  as: string;
  record?: {
    component: string;
    build: number;
    tags?: string[];
    branch?: string;
    sizeMb?: number;
    /** The commit author's e-mail, as CI would report it. */
    author?: string;
    /** GitHub login of who pushed, as CI would report it. */
    pushedBy?: string;
  };
  evidence?: {
    component: string;
    build: number;
    results: Array<{
      kind: EvidenceKind;
      result: 'passed' | 'failed';
      /**
       * Recorded as reported, as before the portal verified bundles, even
       * for kinds it now accepts only as attestations.
       */
      reported?: boolean;
      tests?: { passed: number; failed: number };
      vulnerabilities?: {
        critical: number;
        high: number;
        medium?: number;
        low?: number;
      };
    }>;
  };
  promote?: {
    component: string;
    build: number;
    environment: string;
    kind?: 'normal' | 'hotfix';
    reason?: string;
    /** GitHub login of who started the requesting run (CI steps). */
    triggeredBy?: string;
    /** Roll it out at once (deploying, verifying, succeeded) if approved. */
    deploy?: boolean;
  };
  approve?: { component: string; environment: string; comment?: string };
  reject?: { component: string; environment: string; comment?: string };
  rollout?: {
    component: string;
    environment: string;
    /** Default: deploying, verifying with healthy metrics, succeeded. */
    events?: Array<{
      type: RolloutEventType;
      metrics?: RolloutMetrics;
      message?: string;
    }>;
  };
  rollback?: { component: string; environment: string; reason: string };
  quarantine?: { component: string; build: number; reason: string };
}

export interface Scenario {
  actors: Record<
    string,
    { type: 'user' | 'service'; ref: string; groups?: string[] }
  >;
  steps: Step[];
}
