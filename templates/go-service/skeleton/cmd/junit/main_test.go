package main

import (
	"io"
	"strings"
	"testing"
)

func TestConvertsPassesFailuresAndSkips(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"example/a","Test":"TestOk"}`,
		`{"Action":"pass","Package":"example/a","Test":"TestOk","Elapsed":0.01}`,
		`{"Action":"output","Package":"example/a","Test":"TestBad","Output":"    bad_test.go:9: expected 2\n"}`,
		`{"Action":"fail","Package":"example/a","Test":"TestBad","Elapsed":0.02}`,
		`{"Action":"skip","Package":"example/a","Test":"TestLater","Elapsed":0}`,
		`{"Action":"fail","Package":"example/a","Elapsed":0.5}`,
		`{"Action":"output","Package":"example/b","Output":"# example/b\nb.go:3: undefined: x\n"}`,
		`{"Action":"fail","Package":"example/b","Elapsed":0}`,
	}, "\n")
	report, err := Convert(strings.NewReader(in), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if report.Tests != 4 || report.Failures != 2 || len(report.Suites) != 2 {
		t.Fatalf("got %d tests, %d failures, %d suites", report.Tests, report.Failures, len(report.Suites))
	}
	a := report.Suites[0]
	if a.Skipped != 1 || a.Cases[1].Failure == nil || !strings.Contains(a.Cases[1].Failure.Output, "expected 2") {
		t.Fatalf("suite a: %+v", a)
	}
	if b := report.Suites[1]; b.Cases[0].Name != "(package)" || !strings.Contains(b.Cases[0].Failure.Output, "undefined: x") {
		t.Fatalf("suite b: %+v", b)
	}
}
