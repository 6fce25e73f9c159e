// Command junit turns `go test -json` on stdin into a JUnit XML report (the
// format the delivery CLI records as test evidence), and prints the tests'
// output as it comes. It exits 1 when a test or a package failed. Standard
// library only:
//
//	go test -json ./... | go run ./cmd/junit reports/unit.xml
package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

type testCase struct {
	XMLName   xml.Name  `xml:"testcase"`
	ClassName string    `xml:"classname,attr"`
	Name      string    `xml:"name,attr"`
	Time      string    `xml:"time,attr"`
	Failure   *failure  `xml:"failure,omitempty"`
	Skipped   *struct{} `xml:"skipped,omitempty"`
}

type failure struct {
	Message string `xml:"message,attr"`
	Output  string `xml:",chardata"`
}

type testSuite struct {
	XMLName  xml.Name   `xml:"testsuite"`
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Skipped  int        `xml:"skipped,attr"`
	Time     string     `xml:"time,attr"`
	Cases    []testCase `xml:"testcase"`
}

type testSuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Suites   []testSuite `xml:"testsuite"`
}

// Convert reads `go test -json` events and returns the report; echo gets the
// tests' output.
func Convert(in io.Reader, echo io.Writer) (testSuites, error) {
	suites := map[string]*testSuite{}
	output := map[string]string{}
	suite := func(pkg string) *testSuite {
		if suites[pkg] == nil {
			suites[pkg] = &testSuite{Name: pkg}
		}
		return suites[pkg]
	}
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for scanner.Scan() {
		var e event
		if err := json.Unmarshal(scanner.Bytes(), &e); err != nil || e.Action == "" {
			// Not an event (e.g. a build error printed by go itself).
			fmt.Fprintln(echo, scanner.Text())
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch e.Action {
		case "output":
			fmt.Fprint(echo, e.Output)
			output[key] += e.Output
		case "pass", "fail", "skip":
			s := suite(e.Package)
			if e.Test == "" {
				s.Time = fmt.Sprintf("%.3f", e.Elapsed)
				if e.Action == "fail" && len(s.Cases) == 0 {
					// The package failed without a test failing: a build error, a panic.
					s.Cases = append(s.Cases, testCase{ClassName: e.Package, Name: "(package)", Time: s.Time,
						Failure: &failure{Message: "the package failed", Output: output[key]}})
				}
				continue
			}
			c := testCase{ClassName: e.Package, Name: e.Test, Time: fmt.Sprintf("%.3f", e.Elapsed)}
			if e.Action == "fail" {
				c.Failure = &failure{Message: "failed", Output: output[key]}
			}
			if e.Action == "skip" {
				c.Skipped = &struct{}{}
			}
			s.Cases = append(s.Cases, c)
		}
	}
	if err := scanner.Err(); err != nil {
		return testSuites{}, err
	}
	var report testSuites
	names := make([]string, 0, len(suites))
	for name := range suites {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := suites[name]
		for _, c := range s.Cases {
			s.Tests++
			if c.Failure != nil {
				s.Failures++
			}
			if c.Skipped != nil {
				s.Skipped++
			}
		}
		report.Tests += s.Tests
		report.Failures += s.Failures
		report.Suites = append(report.Suites, *s)
	}
	return report, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go test -json ./... | go run ./cmd/junit <report.xml>")
		os.Exit(2)
	}
	report, err := Convert(os.Stdin, os.Stdout)
	if err == nil {
		err = write(os.Args[1], report)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "junit:", err)
		os.Exit(2)
	}
	fmt.Printf("junit: %d tests, %d failed -> %s\n", report.Tests, report.Failures, os.Args[1])
	if report.Failures > 0 || report.Tests == 0 {
		os.Exit(1)
	}
}

func write(path string, report testSuites) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	out, err := xml.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(out, '\n')...), 0o644)
}
