package esship

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
)

// sinkEnv makes the test binary a bulk sink instead of running tests: the benchmarks start it as
// a child process so that the shipper's CPU time is measured apart from the sink's.
const sinkEnv = "VIGIA_ESSHIP_BULK_SINK"

func TestMain(m *testing.M) {
	if os.Getenv(sinkEnv) == "1" {
		if err := runSink(); err != nil {
			fmt.Fprintln(os.Stderr, "bulk sink:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runSink answers the Elasticsearch calls the shipper makes, with a bulk response item per
// action (honouring filter_path the way Elasticsearch does for the shipper's paths), and exits
// when its stdin closes.
func runSink() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(l.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	return http.Serve(l, http.HandlerFunc(sinkHandler))
}

var fullItem = []byte(`{"create":{"_index":".ds-logs-vigia.probe-default-2026.11.23-000001","_id":"x","_version":1,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}}`)
var filteredItem = []byte(`{"create":{"status":201}}`)

func sinkHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/":
		_, _ = w.Write([]byte(`{"version":{"number":"8.15.3"},"tagline":"You Know, for Search"}`))
	case r.URL.Path == "/_bulk":
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			body = zr
		}
		lines := 0
		br := bufio.NewReaderSize(body, 1<<20)
		for {
			chunk, err := br.ReadSlice('\n')
			lines += bytes.Count(chunk, []byte{'\n'})
			if err == io.EOF {
				break
			}
			if err != nil && err != bufio.ErrBufferFull {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
		}
		item := fullItem
		if strings.Contains(r.URL.Query().Get("filter_path"), "items.*.status") {
			item = filteredItem
		}
		var b bytes.Buffer
		b.Grow(lines/2*(len(item)+1) + 32)
		b.WriteString(`{"errors":false,"took":1,"items":[`)
		for i := 0; i < lines/2; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(item)
		}
		b.WriteString(`]}`)
		_, _ = w.Write(b.Bytes())
	default:
		_, _ = w.Write([]byte(`{"acknowledged":true}`))
	}
}
