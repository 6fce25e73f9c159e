import IconButton from '@material-ui/core/IconButton';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import ChevronLeft from '@material-ui/icons/ChevronLeft';
import ChevronRight from '@material-ui/icons/ChevronRight';
import { CursorPages } from '../../hooks/useCursorPages';

const useStyles = makeStyles(theme => ({
  root: {
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'flex-end',
    gap: theme.spacing(1),
    marginTop: theme.spacing(1),
  },
}));

/** Newer/older buttons for a cursor-paginated list. */
export function PageControls(props: {
  pages: CursorPages<unknown>;
  noun: string;
}) {
  const classes = useStyles();
  const { pages } = props;
  return (
    <nav className={classes.root} aria-label={`${props.noun} pages`}>
      <Typography variant="body2" color="textSecondary">
        Page {pages.pageNumber}
        {pages.totalItems !== undefined
          ? ` · ${pages.totalItems} ${props.noun}`
          : ''}
      </Typography>
      <IconButton
        size="small"
        aria-label={`Previous page of ${props.noun}`}
        disabled={!pages.hasPrevious || pages.loading}
        onClick={pages.previous}
      >
        <ChevronLeft />
      </IconButton>
      <IconButton
        size="small"
        aria-label={`Next page of ${props.noun}`}
        disabled={!pages.hasNext || pages.loading}
        onClick={pages.next}
      >
        <ChevronRight />
      </IconButton>
    </nav>
  );
}
