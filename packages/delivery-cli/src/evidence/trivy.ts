import { CliError, ExitCode } from '../exitCodes';

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];

export interface VulnerabilityCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
}

/**
 * Vulnerability counts by severity from a Trivy JSON report
 * (`trivy image --format json`). Each finding counts once per package, as
 * Trivy lists them. When the report names the image's repo digests, `digest`
 * must be one of them: a report of another image is refused.
 */
export function parseTrivy(
  json: string,
  file: string,
  digest: string,
): VulnerabilityCounts {
  let report: any;
  try {
    report = JSON.parse(json);
  } catch (error) {
    throw new CliError(
      `${file} is not JSON: ${(error as Error).message}`,
      ExitCode.BAD_INPUT,
    );
  }
  if (
    typeof report !== 'object' ||
    report === null ||
    !('SchemaVersion' in report)
  ) {
    throw new CliError(
      `${file} is not a Trivy JSON report (no SchemaVersion); run trivy with --format json`,
      ExitCode.BAD_INPUT,
    );
  }
  const repoDigests: string[] = report.Metadata?.RepoDigests ?? [];
  if (
    repoDigests.length > 0 &&
    !repoDigests.some(d => d.endsWith(`@${digest}`))
  ) {
    throw new CliError(
      `${file} is a scan of ${repoDigests.join(', ')}, not of ${digest}`,
      ExitCode.BAD_INPUT,
    );
  }
  const counts: VulnerabilityCounts = {
    critical: 0,
    high: 0,
    medium: 0,
    low: 0,
  };
  for (const result of report.Results ?? []) {
    for (const vulnerability of result.Vulnerabilities ?? []) {
      const severity = String(vulnerability.Severity ?? '').toLowerCase();
      if ((SEVERITIES as string[]).includes(severity)) {
        counts[severity as Severity]++;
      }
    }
  }
  return counts;
}

/** Whether any finding is at `threshold` or more severe. */
export function breaches(
  counts: VulnerabilityCounts,
  threshold: Severity,
): boolean {
  const limit = SEVERITIES.indexOf(threshold);
  return SEVERITIES.slice(0, limit + 1).some(s => counts[s] > 0);
}
