import { ExitCode } from '../exitCodes';
import { addCounts, parseJUnit } from './junit';
import { breaches, parseTrivy } from './trivy';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;

describe('parseJUnit', () => {
  it('counts passed, failed (failure or error) and skipped test cases, nested suites included', () => {
    const xml = `<?xml version="1.0"?>
      <testsuites>
        <testsuite name="a">
          <testcase name="1"/>
          <testcase name="2"><failure message="boom"/></testcase>
          <testcase name="3"><error/></testcase>
          <testsuite name="nested">
            <testcase name="4"><skipped/></testcase>
            <testcase name="5"><system-out>log</system-out></testcase>
          </testsuite>
        </testsuite>
        <testsuite name="b"><testcase name="6"/></testsuite>
      </testsuites>`;
    expect(parseJUnit(xml, 'r.xml')).toEqual({
      passed: 3,
      failed: 2,
      skipped: 1,
    });
  });

  it('reads a report whose root is one <testsuite> (pytest, go-junit-report)', () => {
    expect(
      parseJUnit(
        '<testsuite tests="2"><testcase name="x"/><testcase name="y"><skipped message="later"/></testcase></testsuite>',
        'r.xml',
      ),
    ).toEqual({ passed: 1, failed: 0, skipped: 1 });
  });

  it('adds several reports', () => {
    expect(
      addCounts([
        { passed: 1, failed: 2, skipped: 3 },
        { passed: 10, failed: 0, skipped: 1 },
      ]),
    ).toEqual({ passed: 11, failed: 2, skipped: 4 });
  });

  it('refuses files that are not JUnit reports, as bad input', () => {
    expect(() => parseJUnit('<html><body/></html>', 'page.html')).toThrow(
      expect.objectContaining({
        message:
          'page.html is not a JUnit report: it has no <testsuites> or <testsuite> element',
        exitCode: ExitCode.BAD_INPUT,
      }),
    );
    expect(() =>
      parseJUnit('<testsuite><testcase></testsuite>', 'r.xml'),
    ).toThrow(/r\.xml is not well-formed XML/);
  });
});

describe('parseTrivy', () => {
  const report = (digests: string[], severities: string[]) =>
    JSON.stringify({
      SchemaVersion: 2,
      Metadata: { RepoDigests: digests.map(d => `ghcr.io/acme/orders@${d}`) },
      Results: [
        {
          Target: 'os',
          Vulnerabilities: severities.map(Severity => ({ Severity })),
        },
        { Target: 'node-pkg' },
      ],
    });

  it('counts findings by severity, ignoring UNKNOWN', () => {
    expect(
      parseTrivy(
        report([DIGEST], ['CRITICAL', 'HIGH', 'HIGH', 'LOW', 'UNKNOWN']),
        't.json',
        DIGEST,
      ),
    ).toEqual({ critical: 1, high: 2, medium: 0, low: 1 });
  });

  it('refuses a scan of another image, or a file that is no Trivy report', () => {
    expect(() => parseTrivy(report([OTHER], []), 't.json', DIGEST)).toThrow(
      `t.json is a scan of ghcr.io/acme/orders@${OTHER}, not of ${DIGEST}`,
    );
    expect(() => parseTrivy('{"foo":1}', 't.json', DIGEST)).toThrow(
      't.json is not a Trivy JSON report (no SchemaVersion); run trivy with --format json',
    );
    expect(() => parseTrivy('not json', 't.json', DIGEST)).toThrow(
      /t\.json is not JSON/,
    );
  });

  it('compares counts with a --fail-on severity', () => {
    const counts = { critical: 0, high: 1, medium: 3, low: 0 };
    expect(breaches(counts, 'critical')).toBe(false);
    expect(breaches(counts, 'high')).toBe(true);
    expect(breaches(counts, 'low')).toBe(true);
  });
});
