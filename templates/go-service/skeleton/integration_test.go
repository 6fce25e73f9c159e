//go:build integration

// Integration tests: run against a running instance of the built image
// (BASE_URL), as the pipeline's container-test job does:
//
//	docker run -d -p 8080:8080 <image>@<digest>
//	BASE_URL=http://localhost:8080 go test -tags integration -run Integration -json . | go run ./cmd/junit reports/integration.xml
package main

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"
)

func getJSON(t *testing.T, path string) (int, string, map[string]string) {
	t.Helper()
	base := os.Getenv("BASE_URL")
	if base == "" {
		base = "http://localhost:8080"
	}
	res, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]string
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, res.Header.Get("content-type"), body
}

func TestIntegrationIsAliveAndReady(t *testing.T) {
	if status, _, body := getJSON(t, "/healthz"); status != 200 || body["status"] != "ok" {
		t.Fatalf("/healthz: %d %v", status, body)
	}
	if status, _, _ := getJSON(t, "/readyz"); status != 200 {
		t.Fatalf("/readyz: %d", status)
	}
}

func TestIntegrationServesItsAPI(t *testing.T) {
	status, contentType, body := getJSON(t, "/api/greeting?name=pipeline")
	if status != 200 || contentType != "application/json" || body["message"] != "Hello, pipeline!" {
		t.Fatalf("got %d %q %v", status, contentType, body)
	}
}

func TestIntegrationAnswersUnknownRoutesWith404(t *testing.T) {
	if status, _, _ := getJSON(t, "/does-not-exist"); status != 404 {
		t.Fatalf("got %d", status)
	}
	if status, _, _ := getJSON(t, "/healthz"); status != 200 {
		t.Fatalf("not alive after a 404: %d", status)
	}
}
