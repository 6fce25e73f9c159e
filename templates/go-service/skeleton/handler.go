package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"
)

// NewHandler answers the service's routes; replace the greeting with your own.
func NewHandler() http.Handler {
	mux := http.NewServeMux()
	// Liveness: the process answers.
	mux.HandleFunc("/healthz", get(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	// Readiness: ready for traffic (check dependencies here).
	mux.HandleFunc("/readyz", get(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}))
	mux.HandleFunc("/api/greeting", get(greeting))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": r.URL.Path + " not found"})
	})
	return mux
}

func greeting(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.URL.Query().Get("name"))
	if name == "" {
		name = "world"
	}
	if utf8.RuneCountInString(name) > 100 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "name must be at most 100 characters"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Hello, " + name + "!"})
}

// get refuses every method but GET.
func get(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": r.Method + " is not allowed"})
			return
		}
		next(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
