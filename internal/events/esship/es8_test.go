package esship

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
)

// es8 is an HTTP server answering the Elasticsearch 8 APIs vigia uses, with the response shapes
// Elasticsearch documents (bodies in testdata/es8). Elasticsearch itself cannot run on this
// machine (see REAL-SERVICES.md); ZincSearch covers the real-store side in the events package.
type es8 struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	requests []recorded
	docs     map[string]map[string]json.RawMessage // data stream -> id -> document
	streams  map[string]bool
	bulks    int

	// deny answers a path prefix with a status and testdata file (403 security_exception...).
	deny map[string]denial
	// bulkStatus, when set, may fail a whole bulk request (n counts bulk requests from 1).
	bulkStatus func(n int) int
	// itemStatus, when set, may fail one item: status and the error object.
	itemStatus func(id string, doc []byte) (int, json.RawMessage)
	// stopAt, when set, ends a bulk before the item it returns true for, answering only for the
	// items before it, as ZincSearch does when it cannot index a document.
	stopAt func(id string) bool
}

type recorded struct {
	Method, Path string
	Body         []byte
	Header       http.Header
}

type denial struct {
	status int
	file   string
}

func newES8(t *testing.T) *es8 {
	e := &es8{t: t, docs: map[string]map[string]json.RawMessage{}, streams: map[string]bool{}, deny: map[string]denial{}}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	return e
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/es8/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}

func (e *es8) serve(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "bad gzip", http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, _ := io.ReadAll(body)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = append(e.requests, recorded{Method: r.Method, Path: r.URL.Path, Body: b, Header: r.Header.Clone()})
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	for prefix, d := range e.deny {
		if strings.HasPrefix(r.URL.Path, prefix) {
			w.WriteHeader(d.status)
			_, _ = w.Write(fixture(e.t, d.file))
			return
		}
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/":
		_, _ = w.Write(fixture(e.t, "info.json"))
	case r.Method == http.MethodPut && (strings.HasPrefix(r.URL.Path, "/_ilm/policy/") || strings.HasPrefix(r.URL.Path, "/_index_template/")):
		if !json.Valid(b) {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_, _ = w.Write(fixture(e.t, "acknowledged.json"))
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/_data_stream/"):
		name := strings.TrimPrefix(r.URL.Path, "/_data_stream/")
		if e.streams[name] {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = fmt.Fprintf(w, string(fixture(e.t, "data_stream_exists.json")), name, name)
			return
		}
		e.streams[name] = true
		_, _ = w.Write(fixture(e.t, "acknowledged.json"))
	case r.Method == http.MethodPost && r.URL.Path == "/_bulk":
		e.bulk(w, b)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = fmt.Fprintf(w, `{"error":"no handler found for uri [%s] and method [%s]"}`, r.URL.Path, r.Method)
	}
}

func (e *es8) bulk(w http.ResponseWriter, body []byte) {
	e.bulks++
	if e.bulkStatus != nil {
		if st := e.bulkStatus(e.bulks); st != 0 {
			w.WriteHeader(st)
			_, _ = fmt.Fprintf(w, `{"error":{"type":"es_rejected_execution_exception","reason":"rejected"},"status":%d}`, st)
			return
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var items []string
	hasErrors := false
	for sc.Scan() {
		var meta map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &meta); err != nil || len(meta) != 1 {
			e.t.Errorf("bulk action line is not one action: %s", sc.Bytes())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if !sc.Scan() {
			e.t.Errorf("bulk action without a document")
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		doc := append(json.RawMessage(nil), sc.Bytes()...)
		for action, m := range meta {
			if action != "create" {
				e.t.Errorf("bulk action %q, want create (data streams accept only create)", action)
			}
			backing := ".ds-" + m.Index + "-2026.11.23-000001"
			if e.stopAt != nil && e.stopAt(m.ID) {
				_, _ = fmt.Fprintf(w, `{"errors":false,"took":3,"items":[%s]}`, strings.Join(items, ","))
				return
			}
			if e.itemStatus != nil {
				if st, errObj := e.itemStatus(m.ID, doc); st != 0 {
					hasErrors = true
					items = append(items, fmt.Sprintf(`{"create":{"_index":%q,"_id":%q,"status":%d,"error":%s}}`, backing, m.ID, st, errObj))
					continue
				}
			}
			if e.docs[m.Index] == nil {
				e.docs[m.Index] = map[string]json.RawMessage{}
			}
			if _, dup := e.docs[m.Index][m.ID]; dup {
				hasErrors = true
				items = append(items, fmt.Sprintf(`{"create":{"_index":%q,"_id":%q,"status":409,"error":{"type":"version_conflict_engine_exception","reason":"[%s]: version conflict, document already exists (current version [1])","index":%q,"shard":"0"}}}`,
					backing, m.ID, m.ID, backing))
				continue
			}
			e.docs[m.Index][m.ID] = doc
			items = append(items, fmt.Sprintf(`{"create":{"_index":%q,"_id":%q,"_version":1,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":%d,"_primary_term":1,"status":201}}`,
				backing, m.ID, len(e.docs[m.Index])-1))
		}
	}
	_, _ = fmt.Fprintf(w, `{"errors":%t,"took":3,"items":[%s]}`, hasErrors, strings.Join(items, ","))
}

func (e *es8) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, m := range e.docs {
		n += len(m)
	}
	return n
}

func (e *es8) recordedRequests() []recorded {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]recorded(nil), e.requests...)
}
