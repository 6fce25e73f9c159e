import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import type { PreviewSettings } from '../../config/types';
import { PreviewStore } from '../../database/PreviewStore';
import { Preview } from '../../domain/previews';
import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  ManagedNamespace,
  NamespaceDeletion,
  PreviewCluster,
} from '../../kubernetes/previews/PreviewNamespaces';
import { finishDelete, notOursReason } from './finishDelete';
import { LedgerChanges, NO_CHANGES } from '../notifications/LedgerChanges';

export interface ReapReport {
  expired: string[];
  deleted: string[];
  vanished: string[];
  /** Namespaces left behind by failed creates, deleted now. */
  cleaned: string[];
  /** Namespaces with our label that no live preview accounts for. */
  orphans: string[];
  /** Namespaces the reaper would not delete, with why. */
  refused: string[];
}

/** An expiring preview whose delete failed is retried after this long. */
const RETRY_AFTER_MS = 60_000;

/**
 * One pass of the reaper: deletes expired previews, records namespaces that
 * finished deleting or vanished, and reports labelled namespaces that no
 * preview accounts for. Safe to run on several replicas at once: every
 * preview is claimed with a conditional update, and a namespace that is
 * already gone counts as deleted.
 */
export class PreviewReaper {
  private readonly store: PreviewStore;
  private readonly cluster: PreviewCluster;
  private readonly settings: PreviewSettings;
  private readonly logger: LoggerService;
  private readonly auditor?: AuditorService;
  private readonly changes: LedgerChanges;
  /** How long before expiry the requester is warned. */
  private readonly warningMs: number;
  private readonly clock: () => number;

  constructor(options: {
    store: PreviewStore;
    cluster: PreviewCluster;
    settings: PreviewSettings;
    logger: LoggerService;
    auditor?: AuditorService;
    /** Told of expiry warnings and removals (notifications, signals). */
    changes?: LedgerChanges;
    /** Default 1 h (`delivery.notifications.previewWarning`). */
    warningMs?: number;
    clock?: () => number;
  }) {
    this.changes = options.changes ?? NO_CHANGES;
    this.warningMs = options.warningMs ?? 3_600_000;
    this.store = options.store;
    this.cluster = options.cluster;
    this.settings = options.settings;
    this.logger = options.logger;
    this.auditor = options.auditor;
    this.clock = options.clock ?? Date.now;
  }

  async reap(): Promise<ReapReport> {
    const report: ReapReport = {
      expired: [],
      deleted: [],
      vanished: [],
      cleaned: [],
      orphans: [],
      refused: [],
    };
    const now = this.clock();
    await this.warnExpiring(now);
    await this.expire(now, report);
    await this.retryExpiring(now);
    // What exists in the cluster, in one call. A preview that changes from
    // now on (e.g. becomes ready) may have made its namespace after the list.
    const listedAt = this.clock();
    const present = await this.cluster.listManaged(this.settings.cluster);
    await this.recordDeleted(now, present, report);
    await this.recordVanished(now, listedAt, present, report);
    await this.cleanUpFailed(present, report);

    const known = await this.store.liveNamespaces(this.settings.cluster);
    report.orphans = [...present.keys()]
      .filter(name => !known.has(name))
      .sort();
    if (report.orphans.length) {
      this.logger.warn(
        `Preview reaper: namespaces labelled ${MANAGED_BY_LABEL}=${MANAGED_BY} without a live preview in the ledger (left alone): ${report.orphans.join(
          ', ',
        )}`,
      );
    }
    return report;
  }

  /** Warns the requesters of previews that expire within the warning time, once per expiry. */
  private async warnExpiring(now: number) {
    for (const preview of await this.store.expiringUnwarned(
      now + this.warningMs,
      100,
    )) {
      if (preview.expiresAt <= now) continue; // expires now: reaped instead
      if (await this.store.markExpiryWarned(preview.id, preview.expiresAt)) {
        await this.changes.previewChanged(preview, 'expiring');
      }
    }
  }

  /** Claims expired previews and deletes their namespaces. */
  private async expire(now: number, report: ReapReport) {
    for (const preview of await this.store.inState(['ready', 'provisioning'], {
      expiredBefore: now,
      limit: 100,
    })) {
      if (
        !(await this.store.transition(preview.id, [preview.state], 'expiring', {
          now,
        }))
      )
        continue;
      report.expired.push(preview.namespace);
      await this.changes.previewChanged(preview, 'reaped');
      await this.audit(
        'expire',
        preview,
        `expired ${new Date(preview.expiresAt).toISOString()}`,
      );
      let outcome: NamespaceDeletion;
      try {
        outcome = await this.cluster.deleteNamespace(preview);
      } catch (error) {
        this.logger.warn(
          `Reaper could not delete ${preview.namespace}: ${error}`,
        );
        continue; // stays "expiring"; retried on a later pass
      }
      if (outcome === 'not-ours') {
        report.refused.push(`${preview.namespace}: not managed by delivery`);
        await this.store.transition(preview.id, ['expiring'], 'failed', {
          now,
          reason: notOursReason(preview),
        });
      } else {
        await this.store.transition(preview.id, ['expiring'], 'deleting', {
          now,
        });
      }
    }
  }

  /** Expiring previews whose delete failed earlier: try again. */
  private async retryExpiring(now: number) {
    for (const preview of await this.store.inState(['expiring'], {
      limit: 100,
    })) {
      if (preview.updatedAt > now - RETRY_AFTER_MS) continue;
      if (
        await this.store.transition(preview.id, ['expiring'], 'deleting', {
          now,
        })
      ) {
        await finishDelete(this.deps(), { ...preview, state: 'deleting' });
      }
    }
  }

  /** Deleting previews whose namespace is gone are deleted; lost deletes are asked again. */
  private async recordDeleted(
    now: number,
    present: Map<string, ManagedNamespace>,
    report: ReapReport,
  ) {
    for (const preview of await this.store.inState(['deleting'], {
      limit: 500,
    })) {
      const namespace = present.get(preview.namespace);
      if (namespace) {
        if (!namespace.terminating) {
          await finishDelete(this.deps(), preview); // delete was lost: ask again
        }
        continue;
      }
      if (
        await this.store.transition(preview.id, ['deleting'], 'deleted', {
          now,
        })
      ) {
        report.deleted.push(preview.namespace);
        await this.audit('delete', preview, 'namespace gone');
      }
    }
  }

  /**
   * Ready previews whose namespace disappeared outside the portal; only
   * those unchanged since the namespaces were listed, so one that became
   * ready meanwhile is never taken for vanished.
   */
  private async recordVanished(
    now: number,
    listedAt: number,
    present: Map<string, ManagedNamespace>,
    report: ReapReport,
  ) {
    for (const preview of await this.store.inState(['ready'], {
      limit: 1000,
    })) {
      if (
        preview.cluster !== this.settings.cluster ||
        present.has(preview.namespace)
      )
        continue;
      if (
        await this.store.transition(preview.id, ['ready'], 'deleted', {
          now,
          reason: `namespace ${preview.namespace} disappeared outside the portal`,
          unchangedSince: listedAt,
        })
      ) {
        report.vanished.push(preview.namespace);
        await this.audit(
          'vanished',
          preview,
          'namespace disappeared outside the portal',
        );
      }
    }
  }

  /** Failed creates whose cleanup failed: delete what they left behind. */
  private async cleanUpFailed(
    present: Map<string, ManagedNamespace>,
    report: ReapReport,
  ) {
    const leftovers = [...present.values()].filter(n => !n.terminating);
    for (const preview of await this.store.failedIn(
      this.settings.cluster,
      leftovers.map(n => n.name),
    )) {
      let outcome: NamespaceDeletion;
      try {
        outcome = await this.cluster.deleteNamespace(preview);
      } catch (error) {
        this.logger.warn(
          `Reaper could not clean up ${preview.namespace} of a failed preview: ${error}`,
        );
        continue; // tried again on the next pass
      }
      if (outcome !== 'deleted') continue;
      report.cleaned.push(preview.namespace);
      await this.audit('cleanup', preview, 'namespace of a failed create');
    }
  }

  private deps() {
    return {
      store: this.store,
      cluster: this.cluster,
      logger: this.logger,
      clock: this.clock,
    };
  }

  private async audit(actionType: string, preview: Preview, detail: string) {
    if (!this.auditor) return;
    const event = await this.auditor.createEvent({
      eventId: 'preview-mutate',
      severityLevel: 'low',
      meta: {
        actionType,
        component: preview.componentRef,
        previewId: preview.id,
        namespace: preview.namespace,
        detail,
      },
    });
    await event.success();
  }
}
