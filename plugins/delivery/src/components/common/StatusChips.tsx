import Chip from '@material-ui/core/Chip';
import { makeStyles, Theme } from '@material-ui/core/styles';
import CheckCircle from '@material-ui/icons/CheckCircle';
import Cancel from '@material-ui/icons/Cancel';
import HourglassEmpty from '@material-ui/icons/HourglassEmpty';
import RemoveCircleOutline from '@material-ui/icons/RemoveCircleOutline';
import Sync from '@material-ui/icons/Sync';
import Undo from '@material-ui/icons/Undo';
import Block from '@material-ui/icons/Block';
import Delete from '@material-ui/icons/Delete';
import { ReactElement } from 'react';
import { GateVerdict, PreviewState, PromotionState } from '../../api';

type Tone = 'ok' | 'bad' | 'wait' | 'neutral' | 'busy';

const useStyles = makeStyles((theme: Theme) => ({
  ok: {
    color: theme.palette.success.dark,
    borderColor: theme.palette.success.main,
  },
  bad: {
    color: theme.palette.error.dark,
    borderColor: theme.palette.error.main,
  },
  wait: {
    color: theme.palette.warning.dark,
    borderColor: theme.palette.warning.main,
  },
  busy: {
    color: theme.palette.info.dark,
    borderColor: theme.palette.info.main,
  },
  neutral: {},
  icon: { color: 'inherit' },
}));

/** How a state looks: a tone, an icon and words, never colour alone. */
interface StateLook {
  tone: Tone;
  label: string;
  icon: ReactElement;
}

const PROMOTION_STATES: Record<PromotionState, StateLook> = {
  refused: { tone: 'bad', label: 'Refused', icon: <Block /> },
  'awaiting-approval': {
    tone: 'wait',
    label: 'Awaiting approval',
    icon: <HourglassEmpty />,
  },
  approved: { tone: 'busy', label: 'Approved', icon: <CheckCircle /> },
  deploying: { tone: 'busy', label: 'Deploying', icon: <Sync /> },
  verifying: { tone: 'busy', label: 'Verifying', icon: <Sync /> },
  succeeded: { tone: 'ok', label: 'Succeeded', icon: <CheckCircle /> },
  failed: { tone: 'bad', label: 'Failed', icon: <Cancel /> },
  'rolled-back': { tone: 'bad', label: 'Rolled back', icon: <Undo /> },
  rejected: { tone: 'bad', label: 'Rejected', icon: <Cancel /> },
  aborted: { tone: 'neutral', label: 'Aborted', icon: <RemoveCircleOutline /> },
  errored: { tone: 'bad', label: 'Errored', icon: <Cancel /> },
};

const PREVIEW_STATES: Record<PreviewState, StateLook> = {
  provisioning: { tone: 'busy', label: 'Provisioning', icon: <Sync /> },
  ready: { tone: 'ok', label: 'Ready', icon: <CheckCircle /> },
  expiring: { tone: 'wait', label: 'Expiring', icon: <HourglassEmpty /> },
  deleting: { tone: 'busy', label: 'Deleting', icon: <Delete /> },
  deleted: { tone: 'neutral', label: 'Deleted', icon: <RemoveCircleOutline /> },
  failed: { tone: 'bad', label: 'Failed', icon: <Cancel /> },
};

/** The state of a promotion or of a preview: colour, icon and words. */
export function StateChip(
  props: { promotion: PromotionState } | { preview: PreviewState },
) {
  const classes = useStyles();
  const { tone, label, icon } =
    'promotion' in props
      ? PROMOTION_STATES[props.promotion]
      : PREVIEW_STATES[props.preview];
  return (
    <Chip
      size="small"
      variant="outlined"
      className={classes[tone]}
      icon={<span className={classes.icon}>{icon}</span>}
      label={label}
    />
  );
}

const VERDICTS: Record<
  GateVerdict['verdict'],
  { tone: Tone; icon: ReactElement; label: string }
> = {
  passed: {
    tone: 'ok',
    icon: <CheckCircle fontSize="small" />,
    label: 'passed',
  },
  failed: { tone: 'bad', icon: <Cancel fontSize="small" />, label: 'failed' },
  pending: {
    tone: 'wait',
    icon: <HourglassEmpty fontSize="small" />,
    label: 'pending',
  },
  skipped: {
    tone: 'neutral',
    icon: <RemoveCircleOutline fontSize="small" />,
    label: 'skipped',
  },
};

/** The icon of a gate verdict, with the verdict as its accessible name. */
export function VerdictIcon(props: { verdict: GateVerdict['verdict'] }) {
  const classes = useStyles();
  const { tone, icon, label } = VERDICTS[props.verdict];
  return (
    <span className={classes[tone]} role="img" aria-label={label} title={label}>
      {icon}
    </span>
  );
}

export function useToneClasses() {
  return useStyles();
}
