import { makeStyles } from '@material-ui/core/styles';

/** The styles shared by the sections of an environment's column. */
export const useColumnStyles = makeStyles(theme => ({
  card: { height: '100%', display: 'flex', flexDirection: 'column' },
  section: { marginTop: theme.spacing(1.5), marginBottom: theme.spacing(1.5) },
  label: {
    textTransform: 'uppercase',
    letterSpacing: 0.5,
    fontSize: theme.typography.overline.fontSize,
    color: theme.palette.text.secondary,
    marginBottom: theme.spacing(0.5),
  },
  version: { fontWeight: theme.typography.fontWeightBold as number },
  mono: { fontFamily: 'monospace', fontSize: '0.85em' },
  actions: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
    marginTop: theme.spacing(1),
  },
  meta: { color: theme.palette.text.secondary },
  row: {
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
  },
}));
