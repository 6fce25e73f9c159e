import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { apiMessage } from './apiMessage';

const useStyles = makeStyles(theme => ({
  error: {
    marginTop: theme.spacing(2),
    padding: theme.spacing(1.5),
    borderLeft: `4px solid ${theme.palette.error.main}`,
    background: theme.palette.background.default,
    whiteSpace: 'pre-wrap',
  },
}));
import { ReactNode, useState } from 'react';

export interface ActionDialogProps {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  /** Asks the user to confirm that this changes a production environment. */
  production?: boolean;
  /** Label of the text field (a comment or a reason); none without it. */
  textLabel?: string;
  textRequired?: boolean;
  onConfirm(text: string): Promise<unknown>;
  onClose(): void;
}

/**
 * Confirms an action, collects a comment or reason, runs it, and shows the
 * API's error as worded when it fails; closes on success.
 */
export function ActionDialog(props: ActionDialogProps) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const classes = useStyles();

  const close = () => {
    setText('');
    setError(undefined);
    props.onClose();
  };

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm(text.trim());
      setText('');
      props.onClose();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  const missingText = Boolean(props.textRequired && !text.trim());
  return (
    <Dialog
      open={props.open}
      onClose={busy ? undefined : close}
      fullWidth
      maxWidth="sm"
      aria-labelledby="delivery-action-title"
    >
      <DialogTitle id="delivery-action-title">{props.title}</DialogTitle>
      <DialogContent>
        {props.production && (
          <DialogContentText>
            <Typography component="span" color="error">
              This changes production.
            </Typography>
          </DialogContentText>
        )}
        {props.children}
        {props.textLabel && (
          <TextField
            id="delivery-action-text"
            fullWidth
            multiline
            minRows={2}
            margin="normal"
            variant="outlined"
            label={props.textLabel}
            required={props.textRequired}
            value={text}
            onChange={e => setText(e.target.value)}
            inputProps={{ maxLength: 2000 }}
          />
        )}
        {error && (
          <Typography role="alert" color="error" className={classes.error}>
            {apiMessage(error)}
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={close} disabled={busy}>
          Cancel
        </Button>
        <Button
          color="primary"
          variant="contained"
          onClick={confirm}
          disabled={busy || missingText}
        >
          {busy ? 'Working…' : props.confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
