import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { SignalsService } from '@backstage/plugin-signals-node';
import { PromotionState } from '@backstage-delivery/plugin-delivery-common';
import { EntityLookup } from '../../catalog/catalog';
import type { DeliveryConfig } from '../../config/types';
import { Ledger } from '../../database/Ledger';
import { environmentOfPromotion, isProductionLike } from '../../domain/ladder';
import { ownerRef } from '../../domain/refs';
import {
  NotificationIntent,
  previewNotification,
  promotionNotifications,
  quarantineNotification,
  TOPICS,
} from '../../domain/notifications';
import type { Preview } from '../../domain/previews';
import { Artifact, Promotion } from '../../domain/types';
import { LedgerChanges } from './LedgerChanges';

/** The signal channel of a component: open Delivery tabs and cards listen on it. */
export function componentChannel(componentRef: string): string {
  return `delivery:${componentRef}`;
}

/** A build as people name it: its first tag, else its short digest. */
function buildLabel(artifact: Pick<Artifact, 'tags' | 'digest'> | undefined) {
  if (!artifact) return 'a build';
  return artifact.tags[0] ?? `${artifact.digest.slice(0, 19)}…`;
}

/**
 * Tells of ledger changes: notifications through the notifications service
 * (recipients as entity refs, a topic per kind so users can mute it, a link
 * to the place on the Delivery tab, the configured severity), and a signal
 * on the component's channel so open tabs refresh. Neither may fail the
 * change that was made: failures are logged.
 */
export class DeliveryNotifier implements LedgerChanges {
  constructor(
    private readonly options: {
      ledger: Ledger;
      config: DeliveryConfig;
      catalog: EntityLookup;
      notifications?: NotificationService;
      signals?: SignalsService;
      logger: LoggerService;
      clock?: () => number;
    },
  ) {}

  async promotionChanged(promotion: Promotion, from?: PromotionState) {
    await this.signal(promotion.componentRef, {
      type: 'promotion',
      promotionId: promotion.id,
      state: promotion.state,
    });
    if (from === promotion.state) return;
    const { config, ledger, catalog } = this.options;
    const environment = environmentOfPromotion(config.ladders, promotion);
    const [artifact, entity] = await Promise.all([
      ledger.artifacts.getArtifact(promotion.artifactId),
      catalog.getEntity(promotion.componentRef),
    ]);
    await this.send(
      promotionNotifications(promotion, {
        from,
        environmentTitle: environment?.title ?? promotion.environment,
        approverGroups: environment?.approvals.groups ?? [],
        owner: entity && ownerRef(entity),
        productionLike: isProductionLike(config.ladders, promotion.environment),
        build: buildLabel(artifact),
      }),
    );
  }

  /** What runs in a cluster changed (the live-state watch): open tabs refresh. */
  async liveStateChanged(componentRef: string) {
    await this.signal(componentRef, { type: 'live' });
  }

  async artifactQuarantined(artifact: Artifact, reason: string, by: string) {
    await this.signal(artifact.componentRef, {
      type: 'artifact',
      artifactId: artifact.id,
    });
    const { ledger, catalog } = this.options;
    const [releases, entity] = await Promise.all([
      ledger.releases.getReleases(artifact.componentRef),
      catalog.getEntity(artifact.componentRef),
    ]);
    await this.send(
      quarantineNotification({
        componentRef: artifact.componentRef,
        build: buildLabel(artifact),
        releasedIn: releases
          .filter(r => r.artifactId === artifact.id)
          .map(r => r.environment),
        reason,
        by,
        owner: entity && ownerRef(entity),
      }),
    );
  }

  async previewChanged(preview: Preview, event: 'expiring' | 'reaped') {
    await this.signal(preview.componentRef, {
      type: 'preview',
      previewId: preview.id,
    });
    await this.send(
      previewNotification(preview, event, (this.options.clock ?? Date.now)()),
    );
  }

  /** Sends notifications of the kinds that are on; failures are logged. */
  async send(intents: NotificationIntent[]) {
    const { notifications, config, logger } = this.options;
    if (!notifications || !config.notifications.enabled) return;
    for (const intent of intents) {
      const kind = config.notifications.kinds[intent.kind];
      if (!kind.enabled || intent.to.length === 0) continue;
      try {
        await notifications.send({
          recipients: {
            type: 'entity',
            entityRef: intent.to,
            ...(intent.exclude.length
              ? { excludeEntityRef: intent.exclude }
              : {}),
          },
          payload: {
            title: intent.title,
            description: intent.description,
            link: intent.link,
            severity: intent.severity ?? kind.severity,
            topic: TOPICS[intent.kind],
            ...(intent.scope ? { scope: intent.scope } : {}),
          },
        });
      } catch (error) {
        logger.warn(
          `Could not send the ${intent.kind} notification "${intent.title}": ${
            (error as Error).message
          }`,
        );
      }
    }
  }

  private async signal(componentRef: string, message: Record<string, string>) {
    const { signals, logger } = this.options;
    if (!signals) return;
    try {
      await signals.publish({
        recipients: { type: 'broadcast' },
        channel: componentChannel(componentRef),
        message: { componentRef, ...message },
      });
    } catch (error) {
      logger.warn(
        `Could not signal a change of ${componentRef}: ${
          (error as Error).message
        }`,
      );
    }
  }
}
