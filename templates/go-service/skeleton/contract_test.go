//go:build contract

// The contract test: the service answers every operation of openapi.json
// with the status and the body shape the document promises. It tests the
// running service at BASE_URL when set, else the handler in this process.
// Its JUnit report is recorded as contract-test evidence, which ladders may
// require before production:
//
//	go test -tags contract -run Contract -json . | go run ./cmd/junit reports/contract.xml
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
)

type schema struct {
	Type       string             `json:"type"`
	Required   []string           `json:"required"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
	Enum       []any              `json:"enum"`
}

type operation struct {
	Parameters []struct {
		Name    string `json:"name"`
		In      string `json:"in"`
		Example string `json:"example"`
	} `json:"parameters"`
	Responses map[string]struct {
		Content map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

// problems lists how a decoded JSON value differs from a (small) JSON schema.
func problems(value any, s *schema, path string) []string {
	actual := "null"
	switch value.(type) {
	case map[string]any:
		actual = "object"
	case []any:
		actual = "array"
	case string:
		actual = "string"
	case float64:
		actual = "number"
	case bool:
		actual = "boolean"
	}
	expected := s.Type
	if expected == "integer" {
		expected = "number"
	}
	if expected != "" && expected != actual {
		return []string{fmt.Sprintf("%s is %s, expected %s", path, actual, s.Type)}
	}
	var found []string
	if len(s.Enum) > 0 {
		ok := false
		for _, v := range s.Enum {
			ok = ok || v == value
		}
		if !ok {
			found = append(found, fmt.Sprintf("%s is %v, expected one of %v", path, value, s.Enum))
		}
	}
	if object, isObject := value.(map[string]any); isObject {
		for _, key := range s.Required {
			if _, ok := object[key]; !ok {
				found = append(found, path+"."+key+" is missing")
			}
		}
		for key, sub := range s.Properties {
			if v, ok := object[key]; ok {
				found = append(found, problems(v, sub, path+"."+key)...)
			}
		}
	}
	if list, isList := value.([]any); isList && s.Items != nil {
		for i, v := range list {
			found = append(found, problems(v, s.Items, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return found
}

func TestContract(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var document struct {
		Paths map[string]map[string]operation `json:"paths"`
	}
	if err := json.Unmarshal(raw, &document); err != nil {
		t.Fatal(err)
	}
	base := os.Getenv("BASE_URL")
	if base == "" {
		server := httptest.NewServer(NewHandler())
		defer server.Close()
		base = server.URL
	}
	paths := make([]string, 0, len(document.Paths))
	for path := range document.Paths {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		for method, op := range document.Paths[path] {
			for status, response := range op.Responses {
				method, op, status, response := strings.ToUpper(method), op, status, response
				t.Run(fmt.Sprintf("%s %s answers %s as documented", method, path, status), func(t *testing.T) {
					target, _ := url.Parse(base + path)
					query := target.Query()
					for _, p := range op.Parameters {
						if p.In == "query" && p.Example != "" {
							query.Set(p.Name, p.Example)
						}
					}
					target.RawQuery = query.Encode()
					req, _ := http.NewRequest(method, target.String(), nil)
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					defer res.Body.Close()
					if want, _ := strconv.Atoi(status); res.StatusCode != want {
						t.Fatalf("status %d, documented %d", res.StatusCode, want)
					}
					body, ok := response.Content["application/json"]
					if !ok || body.Schema == nil {
						return
					}
					if ct := res.Header.Get("content-type"); !strings.HasPrefix(ct, "application/json") {
						t.Fatalf("content-type %q, documented application/json", ct)
					}
					var value any
					if err := json.NewDecoder(res.Body).Decode(&value); err != nil {
						t.Fatal(err)
					}
					if found := problems(value, body.Schema, "$"); len(found) > 0 {
						t.Fatal(strings.Join(found, "; "))
					}
				})
			}
		}
	}
}
