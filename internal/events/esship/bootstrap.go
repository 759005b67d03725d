package esship

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/vigia-sei/vigia/internal/events/ecs"
)

// Names of what Bootstrap installs.
const (
	PolicyName   = "vigia-events"
	TemplateName = "logs-vigia"
	// TemplatePriority beats Elasticsearch's built-in logs-*-* template (priority 100).
	TemplatePriority = 200
)

// IndexPatterns are the data streams the template covers, for every namespace.
func IndexPatterns() []string {
	out := make([]string, 0, len(ecs.Datasets))
	for _, d := range ecs.Datasets {
		out = append(out, "logs-"+d.String()+"-*")
	}
	return out
}

// PolicyBody is the ILM policy (PUT _ilm/policy/vigia-events): roll over daily in hot, delete
// retentionDays after rollover.
func PolicyBody(retentionDays int) map[string]any {
	return map[string]any{
		"policy": map[string]any{
			"_meta": map[string]any{"managed_by": "vigia", "description": "vigia probe, alert and log events"},
			"phases": map[string]any{
				"hot": map[string]any{
					"min_age": "0ms",
					"actions": map[string]any{
						"rollover": map[string]any{"max_age": "1d", "max_primary_shard_size": "50gb"},
					},
				},
				"delete": map[string]any{
					"min_age": fmt.Sprintf("%dd", retentionDays),
					"actions": map[string]any{"delete": map[string]any{}},
				},
			},
		},
	}
}

// TemplateBody is the composable index template (PUT _index_template/logs-vigia). It names the ILM
// policy only when the store accepted it. It carries no _meta or version: ZincSearch rejects the
// whole template over keys it does not know, and those two are not needed.
func TemplateBody(withPolicy bool) map[string]any {
	settings := map[string]any{}
	if withPolicy {
		settings["index.lifecycle.name"] = PolicyName
	}
	return map[string]any{
		"index_patterns": IndexPatterns(),
		"data_stream":    map[string]any{},
		"priority":       TemplatePriority,
		"template": map[string]any{
			"settings": settings,
			"mappings": ecs.Mappings(),
		},
	}
}

// Missing is one bootstrap step the store did not do.
type Missing struct {
	Step   string // ilm_policy, index_template, data_stream
	Status int    // HTTP status, 0 when the store answered 2xx in a shape Elasticsearch never uses
	Reason string
}

func (m Missing) String() string {
	if m.Status == 0 {
		return m.Step + " (" + m.Reason + ")"
	}
	return fmt.Sprintf("%s (HTTP %d: %s)", m.Step, m.Status, m.Reason)
}

// Report is what Bootstrap did.
type Report struct {
	StoreVersion string
	Installed    []string
	Missing      []Missing
}

// errUnavailable marks bootstrap failures worth retrying (connection, 5xx, 429, 401).
var errUnavailable = errors.New("event store unavailable")

// Bootstrap installs the lifecycle policy, the index template and the data streams. It is
// idempotent. Info is the first call, which passes the client's product check. A store that
// lacks an API (ZincSearch has no ILM and no real data streams) is reported in Report.Missing,
// not as an error; the error is for a store that cannot be reached or refuses the credentials.
func Bootstrap(ctx context.Context, es *elasticsearch.Client, namespace string, retentionDays int) (Report, error) {
	var rep Report
	res, err := es.Info(es.Info.WithContext(ctx))
	if err != nil {
		return rep, fmt.Errorf("%w: %v", errUnavailable, err)
	}
	body, status := readResponse(res)
	if status >= 300 {
		return rep, fmt.Errorf("%w: info answered HTTP %d: %s", errUnavailable, status, errorReason(body))
	}
	var info struct {
		Version struct {
			Number string `json:"number"`
		} `json:"version"`
	}
	_ = json.Unmarshal(body, &info)
	rep.StoreVersion = info.Version.Number

	step := func(name string, do func() (*esapi.Response, error), needAck bool) (bool, error) {
		res, err := do()
		if err != nil {
			return false, fmt.Errorf("%w: %s: %v", errUnavailable, name, err)
		}
		body, status := readResponse(res)
		switch {
		case status >= 200 && status < 300:
			if needAck && !acknowledged(body) {
				rep.Missing = append(rep.Missing, Missing{Step: name, Reason: "answered without acknowledging"})
				return false, nil
			}
			rep.Installed = append(rep.Installed, name)
			return true, nil
		case status == http.StatusBadRequest && errorType(body) == "resource_already_exists_exception":
			rep.Installed = append(rep.Installed, name)
			return true, nil
		case status == http.StatusUnauthorized:
			return false, fmt.Errorf("%w: %s: credentials rejected (HTTP 401): check outputs.elasticsearch api_key or username/password", errUnavailable, name)
		case status == http.StatusTooManyRequests || status >= 500:
			return false, fmt.Errorf("%w: %s answered HTTP %d: %s", errUnavailable, name, status, errorReason(body))
		default:
			// 404/405: the API does not exist here; 403: no privilege to install it; other 4xx:
			// the store refused this body. Shipping works without any of them.
			rep.Missing = append(rep.Missing, Missing{Step: name, Status: status, Reason: errorReason(body)})
			return false, nil
		}
	}

	policyBody, err := json.Marshal(PolicyBody(retentionDays))
	if err != nil {
		return rep, fmt.Errorf("encode lifecycle policy: %w", err)
	}
	policy, err := step("ilm_policy", func() (*esapi.Response, error) {
		return es.ILM.PutLifecycle(PolicyName, es.ILM.PutLifecycle.WithContext(ctx),
			es.ILM.PutLifecycle.WithBody(bytes.NewReader(policyBody)))
	}, true)
	if err != nil {
		return rep, err
	}
	templateBody, err := json.Marshal(TemplateBody(policy))
	if err != nil {
		return rep, fmt.Errorf("encode index template: %w", err)
	}
	if _, err := step("index_template", func() (*esapi.Response, error) {
		return es.Indices.PutIndexTemplate(TemplateName, bytes.NewReader(templateBody),
			es.Indices.PutIndexTemplate.WithContext(ctx))
	}, false); err != nil { // ZincSearch stores it and says "ok" instead of acknowledging
		return rep, err
	}
	for _, d := range ecs.Datasets {
		name := ecs.DataStream(d, namespace)
		missingBefore := len(rep.Missing)
		if _, err := step("data_stream", func() (*esapi.Response, error) {
			return es.Indices.CreateDataStream(name, es.Indices.CreateDataStream.WithContext(ctx))
		}, true); err != nil {
			return rep, err
		}
		if len(rep.Missing) > missingBefore {
			break // one report for all three data streams is enough
		}
	}
	return rep, nil
}

// Effects explains to an operator what each missing step means for their events.
func (r Report) Effects() string {
	var out []string
	for _, m := range r.Missing {
		switch m.Step {
		case "ilm_policy":
			out = append(out, "events are never deleted by the store: remove old ones by hand")
		case "index_template":
			out = append(out, "fields are mapped by the store's guesses, not vigia's mapping (docs/events.md)")
		case "data_stream":
			out = append(out, "events go to plain indices named like the data streams")
		}
	}
	return strings.Join(out, "; ")
}

func readResponse(res *esapi.Response) ([]byte, int) {
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return b, res.StatusCode
}

func acknowledged(body []byte) bool {
	var v struct {
		Acknowledged bool `json:"acknowledged"`
	}
	return json.Unmarshal(body, &v) == nil && v.Acknowledged
}

type esError struct {
	Error struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"error"`
}

func errorType(body []byte) string {
	var e esError
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Error.Type
}

// errorReason summarizes an error body for an operator: Elasticsearch's type and reason, or the
// start of whatever else the store said.
func errorReason(body []byte) string {
	var e esError
	if json.Unmarshal(body, &e) == nil && e.Error.Type != "" {
		return truncate(e.Error.Type+": "+e.Error.Reason, 300)
	}
	s := strings.TrimSpace(string(body))
	if s == "" {
		return "empty response"
	}
	return truncate(s, 200)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
