import { Link } from '@backstage/core-components';
import { SafeLink } from './SafeLink';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import VerifiedUser from '@material-ui/icons/VerifiedUser';
import { Evidence } from '../../api';
import { relativeTime } from './format';

type Verification = NonNullable<Evidence['verification']>;

const useStyles = makeStyles(theme => ({
  item: {
    marginTop: theme.spacing(1.5),
    paddingLeft: theme.spacing(1.5),
    borderLeft: `3px solid ${theme.palette.success.main}`,
  },
  title: { display: 'flex', alignItems: 'center', gap: theme.spacing(0.5) },
  dl: {
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.25),
    margin: theme.spacing(0.5, 0, 0),
    '& dt': { color: theme.palette.text.secondary },
    '& dd': { margin: 0, wordBreak: 'break-all' },
  },
  mono: { fontFamily: 'monospace', fontSize: '0.85em' },
}));

/** Who signed: a configured key, or a keyless certificate's identity. */
export function signerName(v: Verification): string {
  if (v.signer.type === 'key') return `key ${v.signer.keyId ?? 'unnamed'}`;
  return `${v.signer.subject ?? 'an unnamed identity'} (${
    v.signer.issuer ?? 'unknown issuer'
  })`;
}

function sourceOf(v: Verification) {
  const p = v.provenance;
  const repository = p?.sourceRepository ?? v.signer.sourceRepository;
  if (!repository) return undefined;
  const commit = p?.sourceCommit ?? v.signer.sourceCommit;
  const ref = p?.sourceRef ?? v.signer.sourceRef;
  return { repository, commit, ref };
}

function Source(props: { v: Verification }) {
  const source = sourceOf(props.v);
  if (!source) return null;
  const url = source.repository.startsWith('github.com/')
    ? `https://${source.repository}${
        source.commit ? `/commit/${source.commit}` : ''
      }`
    : undefined;
  const text = `${source.repository}${
    source.commit ? `@${source.commit.slice(0, 12)}` : ''
  }${source.ref ? ` (${source.ref})` : ''}`;
  return (
    <>
      <dt>Source</dt>
      <dd>{url ? <Link to={url}>{text}</Link> : text}</dd>
    </>
  );
}

function Details(props: { v: Verification }) {
  const classes = useStyles();
  const { v } = props;
  const runUrl = v.provenance?.runUrl ?? v.signer.runUrl;
  return (
    <dl className={classes.dl}>
      <dt>Signed by</dt>
      <dd>{signerName(v)}</dd>
      <dt>Statement</dt>
      <dd>
        {v.content === 'message-signature'
          ? 'message signature'
          : v.predicateType ?? 'in-toto statement'}
      </dd>
      <Source v={v} />
      {v.provenance?.builderId && (
        <>
          <dt>Builder</dt>
          <dd>{v.provenance.builderId}</dd>
        </>
      )}
      {runUrl && (
        <>
          <dt>Build run</dt>
          <dd>
            <SafeLink to={runUrl}>{runUrl.replace(/^https:\/\//, '')}</SafeLink>
          </dd>
        </>
      )}
      <dt>Transparency log</dt>
      <dd>
        {v.transparencyLog
          ? `entry ${v.transparencyLog.logIndex}${
              v.transparencyLog.integratedTime
                ? `, integrated ${relativeTime(
                    v.transparencyLog.integratedTime,
                  )}`
                : ''
            }`
          : 'none (key-signed, not logged)'}
      </dd>
      <dt>Bundle</dt>
      <dd className={classes.mono}>{v.bundleDigest}</dd>
    </dl>
  );
}

/**
 * The attestations the portal verified for a build: who signed each, what
 * it states (for provenance: source, commit, builder and run), and where it
 * was logged.
 */
export function VerifiedAttestations(props: { evidence: Evidence[] }) {
  const classes = useStyles();
  const verified = props.evidence.filter(e => e.verification);
  if (verified.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No attestation of this build was verified by the portal.
      </Typography>
    );
  }
  return (
    <div aria-label="Verified attestations">
      {verified.map(e => (
        <section
          key={e.id}
          className={classes.item}
          aria-label={`Verified ${e.kind}`}
        >
          <Typography variant="subtitle2" className={classes.title}>
            <VerifiedUser fontSize="small" color="inherit" />
            {e.kind} · verified {relativeTime(e.reportedAt)}, posted by{' '}
            {e.reportedBy}
          </Typography>
          <Details v={e.verification!} />
        </section>
      ))}
    </div>
  );
}
