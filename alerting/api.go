package alerting

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// APIHandler serves the alert and silence API:
//
//	GET    /api/v1/alerts              pending and firing alerts; filters: state, instance, alertname,
//	                                   fingerprint, silenced=true|false
//	GET    /api/v1/silences            every silence with its state
//	GET    /api/v1/silences/{id}
//	POST   /api/v1/silences            create; body is a Silence; answers 201 with the stored silence
//	DELETE /api/v1/silences/{id}       expire now
//
// Writes need "Authorization: Bearer <token>". With no token configured the API is read-only
// and writes answer 403, saying how to enable them.
func (m *Manager) APIHandler(token probe.Secret) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/alerts", m.getAlerts)
	mux.HandleFunc("GET /api/v1/silences", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, m.Silences())
	})
	mux.HandleFunc("GET /api/v1/silences/{id}", func(w http.ResponseWriter, r *http.Request) {
		s, ok := m.Silence(r.PathValue("id"))
		if !ok {
			writeError(w, http.StatusNotFound, ErrSilenceNotFound.Error())
			return
		}
		writeJSON(w, http.StatusOK, s)
	})
	mux.Handle("POST /api/v1/silences", requireToken(token, http.HandlerFunc(m.postSilence)))
	mux.Handle("DELETE /api/v1/silences/{id}", requireToken(token, http.HandlerFunc(m.deleteSilence)))
	return mux
}

func requireToken(token probe.Secret, next http.Handler) http.Handler {
	want := []byte(token.Reveal())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(want) == 0 {
			writeError(w, http.StatusForbidden, "the API is read-only: set server.api_token in the config to allow changes")
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigia"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token (Authorization: Bearer <server.api_token>)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (m *Manager) getAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	silenced := q.Get("silenced")
	if silenced != "" && silenced != "true" && silenced != "false" {
		writeError(w, http.StatusBadRequest, "silenced must be true or false")
		return
	}
	out := []Alert{}
	for _, a := range m.Alerts() {
		if v := q.Get("state"); v != "" && a.State != v {
			continue
		}
		if v := q.Get("instance"); v != "" && a.Labels["instance"] != v {
			continue
		}
		if v := q.Get("alertname"); v != "" && a.Labels["alertname"] != v {
			continue
		}
		if v := q.Get("fingerprint"); v != "" && a.Fingerprint != v {
			continue
		}
		if silenced != "" && a.Silenced != (silenced == "true") {
			continue
		}
		out = append(out, a)
	}
	writeJSON(w, http.StatusOK, out)
}

func (m *Manager) postSilence(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	var s Silence
	if err := dec.Decode(&s); err != nil {
		writeError(w, http.StatusBadRequest, "invalid silence JSON: "+err.Error())
		return
	}
	id, err := m.AddSilence(s)
	switch {
	case errors.Is(err, ErrInvalidSilence):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		m.log.Error("alerting: API could not add a silence", "err", err)
		writeError(w, http.StatusInternalServerError, "could not save the silence; see vigia's log")
		return
	}
	stored, _ := m.Silence(id)
	w.Header().Set("Location", "/api/v1/silences/"+id)
	writeJSON(w, http.StatusCreated, stored)
}

func (m *Manager) deleteSilence(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := m.ExpireSilence(id)
	switch {
	case errors.Is(err, ErrSilenceNotFound):
		writeError(w, http.StatusNotFound, err.Error())
		return
	case errors.Is(err, ErrSilenceInConfig):
		writeError(w, http.StatusConflict, err.Error())
		return
	case err != nil:
		m.log.Error("alerting: API could not expire a silence", "silence", id, "err", err)
		writeError(w, http.StatusInternalServerError, "could not save the silence; see vigia's log")
		return
	}
	s, _ := m.Silence(id)
	writeJSON(w, http.StatusOK, s)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
