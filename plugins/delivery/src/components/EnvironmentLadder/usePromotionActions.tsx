import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import Typography from '@material-ui/core/Typography';
import { ReactNode, useState } from 'react';
import { deliveryApiRef, EnvironmentOverview } from '../../api';
import { ActionDialog } from '../common/ActionDialog';
import { artifactLabel, relativeTime, shortDigest } from '../common/format';
import { GateList } from '../common/GateList';

/** What a user can do from an environment's column. */
export type PromotionAction =
  | { action: 'promote'; hotfix: boolean }
  | { action: 'approve' | 'reject' | 'abort' }
  | { action: 'rollback' }
  | { action: 'quarantine' }
  | { action: 'rollout'; rollout: RolloutAction };

export type RolloutAction = 'promote' | 'promote-full' | 'abort';

const ROLLOUT_ACTIONS: Record<
  RolloutAction,
  { label: string; done: string; explains: string }
> = {
  promote: {
    label: 'Promote step',
    done: 'The Rollout goes on to its next step',
    explains:
      'The Argo Rollout leaves its pause and goes on to its next step, as kubectl argo rollouts promote does.',
  },
  'promote-full': {
    label: 'Promote fully',
    done: 'The Rollout skips its remaining steps',
    explains:
      'The Argo Rollout skips its remaining steps, pauses and analysis and moves all traffic to the new version.',
  },
  abort: {
    label: 'Abort rollout',
    done: 'The Rollout is aborted',
    explains:
      'The Argo Rollout goes back to the stable version; the promotion fails and the previous release stays.',
  },
};

/** Who deploys an approved promotion, by the environment's executor. */
const DEPLOYED_BY: Record<
  EnvironmentOverview['environment']['executor'],
  string
> = {
  external: 'the pipeline can deploy it',
  kubernetes: 'the portal deploys it now',
  gitops: 'the portal commits it for the GitOps controller now',
  'github-actions': 'the portal starts the deploy workflow now',
};

const capitalised = (word: string) => word[0].toUpperCase() + word.slice(1);

/**
 * The actions on one environment (promote, hotfix, approve, reject, abort,
 * roll back, quarantine): `open` asks for confirmation in a dialog, which
 * calls the API, reports the outcome and lets the tab refresh.
 */
export function usePromotionActions(props: {
  componentRef: string;
  env: EnvironmentOverview;
  isProduction: boolean;
  onChanged(): void;
}): { open(action: PromotionAction): void; dialog: ReactNode } {
  const { componentRef, env, isProduction } = props;
  const deliveryApi = useApi(deliveryApiRef);
  const alertApi = useApi(alertApiRef);
  const [action, setAction] = useState<PromotionAction>();
  const { environment, release, activePromotion, candidate, rollbackTarget } =
    env;
  const title = environment.title;
  const close = () => setAction(undefined);
  const done = (message: string) => {
    alertApi.post({ message, severity: 'success', display: 'transient' });
    props.onChanged();
  };

  let dialog: ReactNode = null;
  if (candidate && action?.action === 'promote') {
    const hotfix = action.hotfix;
    dialog = (
      <ActionDialog
        open
        title={`${hotfix ? 'Hotfix' : 'Promote'} ${artifactLabel(
          candidate.artifact,
        )} to ${title}`}
        confirmLabel={hotfix ? 'Request hotfix' : 'Promote'}
        production={isProduction}
        textLabel="Reason"
        textRequired={hotfix}
        onClose={close}
        onConfirm={async reason => {
          const promotion = await deliveryApi.requestPromotion({
            component: componentRef,
            digest: candidate.artifact.digest,
            environment: environment.name,
            kind: hotfix ? 'hotfix' : 'normal',
            reason: reason || undefined,
          });
          done(
            promotion.state === 'awaiting-approval'
              ? `Promotion to ${title} requested; it awaits approval`
              : `Promotion to ${title} approved; ${
                  DEPLOYED_BY[environment.executor]
                }`,
          );
        }}
      >
        {hotfix && (
          <Typography variant="body2">
            A hotfix overrides {title}'s deploy windows and freezes. It is
            audited as critical.
          </Typography>
        )}
      </ActionDialog>
    );
  } else if (
    activePromotion &&
    (action?.action === 'approve' ||
      action?.action === 'reject' ||
      action?.action === 'abort')
  ) {
    const verb = action.action;
    dialog = (
      <ActionDialog
        open
        title={`${capitalised(verb)} the promotion of ${artifactLabel(
          activePromotion.artifact,
        )} to ${title}`}
        confirmLabel={capitalised(verb)}
        production={isProduction}
        textLabel={verb === 'abort' ? 'Reason' : 'Comment'}
        onClose={close}
        onConfirm={async text => {
          const note = text || undefined;
          if (verb === 'approve') {
            const p = await deliveryApi.approve(activePromotion.id, note);
            done(
              p.state === 'approved'
                ? `Approved: ${title} can be deployed`
                : 'Approval recorded',
            );
          } else if (verb === 'reject') {
            await deliveryApi.reject(activePromotion.id, note);
            done('Promotion rejected');
          } else {
            await deliveryApi.abort(activePromotion.id, note);
            done('Promotion aborted');
          }
        }}
      >
        <GateList gates={activePromotion.gates} />
      </ActionDialog>
    );
  } else if (rollbackTarget && action?.action === 'rollback') {
    const target = artifactLabel(rollbackTarget.artifact);
    dialog = (
      <ActionDialog
        open
        title={`Roll ${title} back to ${target}`}
        confirmLabel="Roll back"
        production={isProduction}
        textLabel="Reason"
        textRequired
        onClose={close}
        onConfirm={async reason => {
          await deliveryApi.rollback({
            component: componentRef,
            environment: environment.name,
            reason,
          });
          done(`Rollback of ${title} to ${target} requested`);
        }}
      >
        <Typography variant="body2">
          {target} ({shortDigest(rollbackTarget.artifact.digest)}) was released
          in {title} {relativeTime(rollbackTarget.releasedAt)}. Rollbacks skip
          the ladder, soak, evidence and window gates.
        </Typography>
      </ActionDialog>
    );
  } else if (activePromotion && action?.action === 'rollout') {
    const what = ROLLOUT_ACTIONS[action.rollout];
    dialog = (
      <ActionDialog
        open
        title={`${what.label}: ${artifactLabel(
          activePromotion.artifact,
        )} in ${title}`}
        confirmLabel={what.label}
        production={isProduction}
        onClose={close}
        onConfirm={async () => {
          await deliveryApi.actOnRollout(activePromotion.id, action.rollout);
          done(what.done);
        }}
      >
        <Typography variant="body2">{what.explains}</Typography>
      </ActionDialog>
    );
  } else if (release && action?.action === 'quarantine') {
    dialog = (
      <ActionDialog
        open
        title={`Quarantine ${artifactLabel(release.artifact)}`}
        confirmLabel="Quarantine"
        textLabel="Reason"
        textRequired
        onClose={close}
        onConfirm={async reason => {
          await deliveryApi.quarantine(release.artifact.id, reason);
          done(`${artifactLabel(release.artifact)} is quarantined`);
        }}
      >
        <Typography variant="body2">
          A quarantined build cannot be promoted anywhere; promotions of it that
          have not started deploying are aborted.
        </Typography>
      </ActionDialog>
    );
  }
  return { open: setAction, dialog };
}
