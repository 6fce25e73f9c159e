/**
 * A metric's value in its unit, as analysis messages and the Delivery tab
 * show it: `ratio` as a percentage, `seconds` as milliseconds, any other
 * unit after the number.
 *
 * @public
 */
export function formatMetricValue(value: number, unit?: string): string {
  if (unit === 'ratio') return `${Math.round(value * 10000) / 100}%`;
  if (unit === 'seconds') return `${Math.round(value * 1000)} ms`;
  const rounded = Math.round(value * 1000) / 1000;
  return unit ? `${rounded} ${unit}` : String(rounded);
}
