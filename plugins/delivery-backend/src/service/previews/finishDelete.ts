import { LoggerService } from '@backstage/backend-plugin-api';
import { PreviewStore } from '../../database/PreviewStore';
import { Preview } from '../../domain/previews';
import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  NamespaceDeletion,
  PREVIEW_ID_LABEL,
  PreviewCluster,
} from '../../kubernetes/previews/PreviewNamespaces';

/** Why a namespace was left in place: it lost our labels, or is another one now. */
export function notOursReason(preview: Preview): string {
  return `namespace ${preview.namespace} does not carry ${MANAGED_BY_LABEL}=${MANAGED_BY} and ${PREVIEW_ID_LABEL}=${preview.id}; it was left in place`;
}

/**
 * Deletes a claimed (deleting) preview's namespace and records the outcome:
 * gone is deleted; not ours is failed, with why; deleted stays deleting until
 * the reaper sees the namespace gone. A cluster error leaves it deleting for
 * the reaper to retry.
 */
export async function finishDelete(
  deps: {
    store: PreviewStore;
    cluster: PreviewCluster;
    logger: LoggerService;
    clock: () => number;
  },
  preview: Preview,
): Promise<void> {
  let outcome: NamespaceDeletion;
  try {
    outcome = await deps.cluster.deleteNamespace(preview);
  } catch (error) {
    deps.logger.warn(
      `Could not delete preview namespace ${preview.namespace}: ${error}`,
    );
    return;
  }
  const now = deps.clock();
  if (outcome === 'gone') {
    await deps.store.transition(preview.id, ['deleting'], 'deleted', { now });
  } else if (outcome === 'not-ours') {
    await deps.store.transition(preview.id, ['deleting'], 'failed', {
      now,
      reason: notOursReason(preview),
    });
  }
}
