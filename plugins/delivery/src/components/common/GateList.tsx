import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemIcon from '@material-ui/core/ListItemIcon';
import ListItemText from '@material-ui/core/ListItemText';
import { makeStyles } from '@material-ui/core/styles';
import { GateVerdict } from '../../api';
import { VerdictIcon } from './StatusChips';

const useStyles = makeStyles(theme => ({
  item: { alignItems: 'flex-start', paddingTop: 0, paddingBottom: 0 },
  icon: { minWidth: theme.spacing(4), marginTop: 6 },
  gate: { fontWeight: theme.typography.fontWeightMedium as number },
  // The Backstage theme truncates list item text; gate reasons must be read whole.
  text: { whiteSpace: 'normal', overflow: 'visible', margin: 0 },
}));

/** Every gate with its verdict and the reason in words. */
export function GateList(props: {
  gates: GateVerdict[];
  /** Only the gates that did not pass. */
  onlyProblems?: boolean;
}) {
  const classes = useStyles();
  const gates = props.onlyProblems
    ? props.gates.filter(g => g.verdict === 'failed' || g.verdict === 'pending')
    : props.gates;
  return (
    <List dense disablePadding aria-label="Gates">
      {gates.map(g => (
        <ListItem key={g.gate} className={classes.item} disableGutters>
          <ListItemIcon className={classes.icon}>
            <VerdictIcon verdict={g.verdict} />
          </ListItemIcon>
          <ListItemText
            className={classes.text}
            primaryTypographyProps={{ style: { whiteSpace: 'normal' } }}
            primary={
              <>
                <span className={classes.gate}>{g.gate}</span>: {g.message}
              </>
            }
          />
        </ListItem>
      ))}
    </List>
  );
}
