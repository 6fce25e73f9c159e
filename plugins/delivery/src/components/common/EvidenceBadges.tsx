import Chip from '@material-ui/core/Chip';
import Tooltip from '@material-ui/core/Tooltip';
import { makeStyles } from '@material-ui/core/styles';
import CheckCircle from '@material-ui/icons/CheckCircle';
import Cancel from '@material-ui/icons/Cancel';
import VerifiedUser from '@material-ui/icons/VerifiedUser';
import { Evidence } from '../../api';
import { useToneClasses } from './StatusChips';
import { signerName } from './VerifiedAttestations';

const useStyles = makeStyles(theme => ({
  root: { display: 'flex', flexWrap: 'wrap', gap: theme.spacing(0.5) },
}));

const SHORT: Record<string, string> = {
  'unit-test': 'unit',
  'integration-test': 'integration',
  'contract-test': 'contract',
  'container-test': 'container',
  'image-scan': 'scan',
  'manifest-validation': 'manifests',
  'smoke-test': 'smoke',
  signature: 'signature',
  provenance: 'provenance',
  sbom: 'SBOM',
};

/** What a badge says about one piece of evidence, beyond passed/failed. */
export function evidenceDetail(e: Evidence): string | undefined {
  const tests = e.summary?.tests;
  if (tests) return `${tests.passed}/${tests.passed + tests.failed}`;
  const v = e.summary?.vulnerabilities;
  if (v)
    return `${v.critical} C · ${v.high} H${
      v.medium !== undefined ? ` · ${v.medium} M` : ''
    }`;
  return undefined;
}

function describe(e: Evidence): string {
  const parts = [`${e.kind} ${e.result}`];
  const tests = e.summary?.tests;
  if (tests) {
    parts.push(
      `${tests.passed} passed, ${tests.failed} failed${
        tests.skipped ? `, ${tests.skipped} skipped` : ''
      }`,
    );
  }
  const v = e.summary?.vulnerabilities;
  if (v) {
    parts.push(
      `vulnerabilities: ${v.critical} critical, ${v.high} high${
        v.medium !== undefined ? `, ${v.medium} medium` : ''
      }${v.low !== undefined ? `, ${v.low} low` : ''}`,
    );
  }
  parts.push(
    e.status === 'verified'
      ? `verified by the portal${
          e.verification ? `, signed by ${signerName(e.verification)}` : ''
        }${
          e.verification?.provenance?.builderId
            ? `, built by ${e.verification.provenance.builderId}`
            : ''
        }`
      : `reported by ${e.reportedBy}, not verified`,
  );
  return parts.join('; ');
}

function EvidenceIcon(props: { evidence: Evidence }) {
  const style = { color: 'inherit' };
  if (props.evidence.result === 'failed') {
    return <Cancel fontSize="small" style={style} />;
  }
  if (props.evidence.status === 'verified') {
    return <VerifiedUser fontSize="small" style={style} />;
  }
  return <CheckCircle fontSize="small" style={style} />;
}

/**
 * One badge per evidence kind: the result as icon, colour and words, with
 * test counts or vulnerability counts by severity, and whether CI reported it
 * or the portal verified it.
 */
export function EvidenceBadges(props: { evidence: Evidence[] }) {
  const classes = useStyles();
  const tone = useToneClasses();
  if (props.evidence.length === 0) {
    return <span>No evidence reported</span>;
  }
  return (
    <div className={classes.root} aria-label="Evidence">
      {props.evidence.map(e => {
        const detail = evidenceDetail(e);
        const passed = e.result === 'passed';
        return (
          <Tooltip key={e.id} title={describe(e)}>
            <Chip
              size="small"
              variant="outlined"
              className={passed ? tone.ok : tone.bad}
              icon={<EvidenceIcon evidence={e} />}
              label={`${SHORT[e.kind] ?? e.kind}${detail ? ` ${detail}` : ''}${
                passed ? '' : ' failed'
              }`}
              aria-label={describe(e)}
            />
          </Tooltip>
        );
      })}
    </div>
  );
}

/**
 * One chip for all of an artifact's evidence: how many kinds passed, and
 * which failed; the tooltip lists every result.
 */
export function EvidenceSummary(props: { evidence: Evidence[] }) {
  const tone = useToneClasses();
  const failed = props.evidence.filter(e => e.result === 'failed');
  if (props.evidence.length === 0) {
    return <span>none</span>;
  }
  const label = failed.length
    ? `${failed.map(e => SHORT[e.kind] ?? e.kind).join(', ')} failed`
    : `${props.evidence.length} passed`;
  return (
    <Tooltip title={props.evidence.map(describe).join(' · ')}>
      <Chip
        size="small"
        variant="outlined"
        className={failed.length ? tone.bad : tone.ok}
        icon={
          failed.length ? (
            <Cancel fontSize="small" style={{ color: 'inherit' }} />
          ) : (
            <CheckCircle fontSize="small" style={{ color: 'inherit' }} />
          )
        }
        label={label}
        aria-label={`Evidence: ${label}`}
      />
    </Tooltip>
  );
}
