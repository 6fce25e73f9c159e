import { useTheme } from '@material-ui/core/styles';
import { MetricComparison } from '../../api';
import { formatMetric } from '../common/format';

const WIDTH = 220;
const HEIGHT = 56;
const PAD = 4;

/**
 * A small line chart of one metric over the window before and after a
 * release went live: the release marked by a vertical line, the threshold
 * by a dotted one, the part after the release red when it got worse.
 */
export function ComparisonChart(props: {
  metric: MetricComparison;
  liveAt: number;
  windowMs: number;
}) {
  const theme = useTheme();
  const { metric, liveAt, windowMs } = props;
  const from = liveAt - windowMs;
  const to = liveAt + windowMs;
  const top =
    Math.max(metric.threshold, ...metric.points.map(([, v]) => v)) * 1.15 || 1;
  const x = (t: number) => PAD + ((t - from) / (to - from)) * (WIDTH - 2 * PAD);
  const y = (v: number) => HEIGHT - PAD - (v / top) * (HEIGHT - 2 * PAD);
  const line = (points: number[][]) =>
    points.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t)},${y(v)}`).join(' ');
  const before = metric.points.filter(([t]) => t < liveAt);
  const after = metric.points.filter(([t]) => t >= liveAt);
  const afterColor = metric.worse
    ? theme.palette.error.main
    : theme.palette.success.main;
  return (
    <svg
      width={WIDTH}
      height={HEIGHT}
      role="img"
      aria-label={`${metric.name}: ${formatMetric(
        metric.before,
        metric.unit,
      )} before the release, ${formatMetric(metric.after, metric.unit)} after${
        metric.worse ? ', worse' : ''
      }`}
    >
      <rect
        x={0}
        y={0}
        width={WIDTH}
        height={HEIGHT}
        fill={theme.palette.background.default}
      />
      <line
        x1={PAD}
        x2={WIDTH - PAD}
        y1={y(metric.threshold)}
        y2={y(metric.threshold)}
        stroke={theme.palette.warning.main}
        strokeDasharray="2 3"
      />
      <line
        x1={x(liveAt)}
        x2={x(liveAt)}
        y1={0}
        y2={HEIGHT}
        stroke={theme.palette.text.secondary}
        strokeDasharray="4 2"
      />
      <path
        d={line(before)}
        fill="none"
        stroke={theme.palette.text.secondary}
        strokeWidth={1.5}
      />
      <path d={line(after)} fill="none" stroke={afterColor} strokeWidth={2} />
    </svg>
  );
}
