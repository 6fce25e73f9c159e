import { XMLParser } from 'fast-xml-parser';
import { CliError, ExitCode } from '../exitCodes';

export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function countSuite(suite: any, counts: TestCounts): boolean {
  let sawCases = false;
  for (const testcase of asArray<any>(suite.testcase)) {
    sawCases = true;
    if (testcase === '' || typeof testcase !== 'object') {
      counts.passed++;
    } else if (testcase.failure !== undefined || testcase.error !== undefined) {
      counts.failed++;
    } else if (testcase.skipped !== undefined) {
      counts.skipped++;
    } else {
      counts.passed++;
    }
  }
  for (const child of asArray<any>(suite.testsuite)) {
    sawCases = countSuite(child, counts) || sawCases;
  }
  return sawCases;
}

/**
 * Test counts from one JUnit XML report (the format of jest-junit, surefire,
 * pytest, go-junit-report…): a `<testsuites>` or `<testsuite>` root; each
 * `<testcase>` with a `<failure>` or `<error>` failed, with `<skipped>` was
 * skipped.
 */
export function parseJUnit(xml: string, file: string): TestCounts {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    isArray: name => name === 'testcase' || name === 'testsuite',
  });
  let doc: any;
  try {
    doc = parser.parse(xml, true);
  } catch (error) {
    throw new CliError(
      `${file} is not well-formed XML: ${(error as Error).message}`,
      ExitCode.BAD_INPUT,
    );
  }
  let roots: any[] = [];
  if (doc?.testsuites) roots = asArray<any>(doc.testsuites);
  else if (doc?.testsuite) roots = [{ testsuite: doc.testsuite }];
  if (roots.length === 0) {
    throw new CliError(
      `${file} is not a JUnit report: it has no <testsuites> or <testsuite> element`,
      ExitCode.BAD_INPUT,
    );
  }
  const counts: TestCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const root of roots) {
    countSuite(root === '' ? {} : root, counts);
  }
  return counts;
}

/** The counts of several reports together. */
export function addCounts(all: TestCounts[]): TestCounts {
  return all.reduce(
    (sum, c) => ({
      passed: sum.passed + c.passed,
      failed: sum.failed + c.failed,
      skipped: sum.skipped + c.skipped,
    }),
    { passed: 0, failed: 0, skipped: 0 },
  );
}
