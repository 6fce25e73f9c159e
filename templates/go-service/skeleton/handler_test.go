package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func call(t *testing.T, method, target string) (int, map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	NewHandler().ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s %s: not JSON: %q", method, target, rec.Body.String())
	}
	return rec.Code, body
}

func TestGreetsByName(t *testing.T) {
	status, body := call(t, http.MethodGet, "/api/greeting?name=Ada")
	if status != http.StatusOK || body["message"] != "Hello, Ada!" {
		t.Fatalf("got %d %v", status, body)
	}
}

func TestGreetsTheWorldWithoutAName(t *testing.T) {
	if _, body := call(t, http.MethodGet, "/api/greeting?name=%20"); body["message"] != "Hello, world!" {
		t.Fatalf("got %v", body)
	}
}

func TestRefusesLongNames(t *testing.T) {
	if status, _ := call(t, http.MethodGet, "/api/greeting?name="+strings.Repeat("a", 101)); status != http.StatusBadRequest {
		t.Fatalf("got %d", status)
	}
}

func TestAnswersProbes(t *testing.T) {
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		if status, body := call(t, http.MethodGet, path); status != http.StatusOK || body["status"] != want {
			t.Fatalf("%s: got %d %v", path, status, body)
		}
	}
}

func TestRefusesOtherMethodsAndUnknownRoutes(t *testing.T) {
	if status, _ := call(t, http.MethodPost, "/api/greeting"); status != http.StatusMethodNotAllowed {
		t.Fatalf("POST: got %d", status)
	}
	if status, _ := call(t, http.MethodGet, "/nope"); status != http.StatusNotFound {
		t.Fatalf("unknown route: got %d", status)
	}
}
