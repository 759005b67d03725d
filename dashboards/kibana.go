package dashboards

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// KibanaOptions say where and how to import the Kibana saved objects.
type KibanaOptions struct {
	// URL is Kibana's base URL (https://kibana.exemplo:5601, or with its server.basePath).
	URL string
	// Space is the Kibana space to import into; empty means the default space.
	Space string
	// APIKey is an Elasticsearch API key in its encoded form (the "encoded" value Kibana shows,
	// sent as "Authorization: ApiKey <key>"); otherwise Username and Password use basic auth.
	APIKey   probe.Secret
	Username string
	Password probe.Secret
	// Client defaults to an http.Client with a 30 s timeout.
	Client *http.Client
}

// KibanaResult is what the import API reported.
type KibanaResult struct {
	SuccessCount int
	// Imported lists "type/id" of every object Kibana created or overwrote.
	Imported []string
}

// KibanaImportError lists the objects Kibana refused, with its reason for each.
type KibanaImportError struct {
	Objects []string // "type/id: reason"
}

func (e *KibanaImportError) Error() string {
	return "dashboards: kibana: import refused " + fmt.Sprint(len(e.Objects)) + " object(s): " + strings.Join(e.Objects, "; ")
}

// InstallKibana imports the embedded saved objects (data views, saved searches, visualizations,
// dashboard) with POST /api/saved_objects/_import?overwrite=true, so a re-install replaces the
// objects of the same ids. Objects Kibana refuses are reported in a *KibanaImportError.
func InstallKibana(ctx context.Context, o KibanaOptions) (KibanaResult, error) {
	base, err := baseURL("kibana", o.URL)
	if err != nil {
		return KibanaResult{}, err
	}
	c := apiClient{base: base, client: o.Client, tool: "kibana", header: http.Header{"Kbn-Xsrf": {"true"}}}
	switch {
	case o.APIKey != "":
		c.auth, c.secret = "ApiKey "+o.APIKey.Reveal(), o.APIKey.Reveal()
	case o.Username != "":
		c.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(o.Username+":"+o.Password.Reveal()))
		c.secret = o.Password.Reveal()
	default:
		return KibanaResult{}, errors.New("dashboards: kibana: no credentials: pass an API key in VIGIA_KIBANA_API_KEY or a user with --kibana-user and VIGIA_KIBANA_PASSWORD")
	}
	ndjson, err := Read(KibanaFile)
	if err != nil {
		return KibanaResult{}, err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", "vigia.ndjson")
	if err != nil {
		return KibanaResult{}, fmt.Errorf("dashboards: kibana: %w", err)
	}
	if _, err := part.Write(ndjson); err != nil {
		return KibanaResult{}, fmt.Errorf("dashboards: kibana: %w", err)
	}
	if err := mw.Close(); err != nil {
		return KibanaResult{}, fmt.Errorf("dashboards: kibana: %w", err)
	}
	p := "/api/saved_objects/_import"
	if o.Space != "" && o.Space != "default" {
		p = "/s/" + url.PathEscape(o.Space) + p
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(p)+"?overwrite=true", &body)
	if err != nil {
		return KibanaResult{}, fmt.Errorf("dashboards: kibana: %w", err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var res struct {
		Success        bool `json:"success"`
		SuccessCount   int  `json:"successCount"`
		SuccessResults []struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"successResults"`
		Errors []struct {
			Type  string `json:"type"`
			ID    string `json:"id"`
			Title string `json:"title"`
			Error struct {
				Type       string `json:"type"`
				Message    string `json:"message"`
				References []struct {
					Type string `json:"type"`
					ID   string `json:"id"`
				} `json:"references"`
			} `json:"error"`
		} `json:"errors"`
	}
	if err := c.send(req, &res); err != nil {
		return KibanaResult{}, fmt.Errorf("dashboards: kibana: import: %w", err)
	}
	out := KibanaResult{SuccessCount: res.SuccessCount}
	for _, r := range res.SuccessResults {
		out.Imported = append(out.Imported, r.Type+"/"+r.ID)
	}
	if len(res.Errors) > 0 || !res.Success {
		ie := &KibanaImportError{}
		for _, e := range res.Errors {
			reason := e.Error.Type
			if e.Error.Message != "" {
				reason += " (" + e.Error.Message + ")"
			}
			for _, r := range e.Error.References {
				reason += " " + r.Type + "/" + r.ID
			}
			ie.Objects = append(ie.Objects, e.Type+"/"+e.ID+": "+reason)
		}
		if len(ie.Objects) == 0 {
			ie.Objects = []string{"Kibana answered success=false without saying why"}
		}
		return out, ie
	}
	return out, nil
}
