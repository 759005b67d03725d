package server

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// TextSource is a set of metric families that renders its own text exposition, as
// collectors.ResultMetrics does for the sei_* families: at 10,000 instances building
// client_golang objects for each of their ~500,000 series on every scrape would cost what the
// compact state saves. /metrics appends WriteText to the registry's families for the text and
// OpenMetrics formats and falls back to Collect for protobuf and name[] filters.
type TextSource interface {
	prometheus.Collector
	// WriteText writes the families in the Prometheus text format, or in the OpenMetrics form
	// without the closing "# EOF" line.
	WriteText(w io.Writer, openMetrics bool) error
}

// metricsHandler serves /metrics like promhttp.HandlerFor with EnableOpenMetrics (content
// negotiation, gzip, HTTP 500 on a gather error), plus the text source.
type metricsHandler struct {
	reg  prometheus.Gatherer // the registry, without the text source
	all  prometheus.Gatherer // the registry and the text source
	text TextSource
	log  *slog.Logger
	gzip sync.Pool
}

func newMetricsHandler(reg prometheus.Gatherer, text TextSource, log *slog.Logger) *metricsHandler {
	if reg == nil {
		reg = prometheus.Gatherers{}
	}
	h := &metricsHandler{reg: reg, all: reg, text: text, log: log}
	if text != nil {
		own := prometheus.NewRegistry()
		own.MustRegister(text)
		h.all = prometheus.Gatherers{reg, own}
	}
	h.gzip.New = func() any { return gzip.NewWriter(nil) }
	return h
}

func (h *metricsHandler) ServeHTTP(rsp http.ResponseWriter, req *http.Request) {
	format := expfmt.NegotiateAccept(req.Header, expfmt.DefaultOpenMetricsAcceptedFormats()...)
	ft := format.FormatType()
	var filter map[string]bool
	if names := req.URL.Query()["name[]"]; len(names) > 0 {
		filter = make(map[string]bool, len(names))
		for _, n := range names {
			filter[n] = true
		}
	}
	// The fast path renders the text source itself; protobuf and filtered scrapes (rare, small)
	// gather it through Collect.
	fast := h.text != nil && filter == nil && (ft == expfmt.TypeTextPlain || ft == expfmt.TypeOpenMetrics)
	g := h.all
	if fast {
		g = h.reg
	}
	mfs, err := g.Gather()
	if err != nil {
		h.log.Error("gathering metrics for /metrics", "err", err)
		httpError(rsp, err)
		return
	}

	rsp.Header().Add("Vary", "Accept")
	rsp.Header().Add("Vary", "Accept-Encoding")
	rsp.Header().Set("Content-Type", string(format))
	var w io.Writer = rsp
	if negotiateGzip(req.Header.Values("Accept-Encoding")) {
		gz := h.gzip.Get().(*gzip.Writer)
		gz.Reset(rsp)
		defer func() { _ = gz.Close(); h.gzip.Put(gz) }()
		rsp.Header().Set("Content-Encoding", "gzip")
		w = gz
	}

	// Headers are sent: from here on an error can only cut the body short, as promhttp does.
	fail := func(what string, err error) { h.log.Error("writing /metrics", "step", what, "err", err) }
	enc := expfmt.NewEncoder(w, format)
	for _, mf := range mfs {
		if filter != nil && !filter[mf.GetName()] {
			continue
		}
		if err := enc.Encode(mf); err != nil {
			fail("encode "+mf.GetName(), err)
			return
		}
	}
	if fast {
		if err := h.text.WriteText(w, ft == expfmt.TypeOpenMetrics); err != nil {
			fail("text families", err)
			return
		}
	}
	// Last, so that OpenMetrics' "# EOF" follows the text source's families.
	if c, ok := enc.(expfmt.Closer); ok {
		if err := c.Close(); err != nil {
			fail("close", err)
		}
	}
}

// httpError is promhttp's answer to a failed gather (sent before any Content-Encoding is set).
func httpError(rsp http.ResponseWriter, err error) {
	http.Error(rsp, "An error has occurred while serving metrics:\n\n"+err.Error(), http.StatusInternalServerError)
}

// negotiateGzip chooses between identity and gzip the way promhttp does (its vendored
// gddo/httputil.NegotiateContentEncoding with offers identity, gzip): the highest q wins, identity
// on a tie, and a client that accepts neither gets identity.
func negotiateGzip(accept []string) bool {
	best, bestQ := "identity", -1.0
	for _, offer := range []string{"identity", "gzip"} {
		for _, h := range accept {
			for spec := range strings.SplitSeq(h, ",") {
				value, params, _ := strings.Cut(spec, ";")
				value = strings.TrimSpace(value)
				q := 1.0
				if params = strings.TrimSpace(params); params != "" {
					qs, ok := strings.CutPrefix(params, "q=")
					if !ok {
						continue
					}
					f, err := strconv.ParseFloat(strings.TrimSpace(qs), 64)
					if err != nil || f < 0 || f > 1 {
						continue
					}
					q = f
				}
				if q > bestQ && (value == "*" || value == offer) {
					best, bestQ = offer, q
				}
			}
		}
	}
	return best == "gzip" && bestQ > 0
}
