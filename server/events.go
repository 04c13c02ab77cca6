package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/rs/zerolog/hlog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/auth"
	"github.com/ripple-cmdb/ripple/events"
	"github.com/ripple-cmdb/ripple/graph"
)

// Routes of the event endpoints.
const (
	AlertmanagerPath = "/api/v1/events/alertmanager"
	EventsPath       = "/api/v1/events"
)

// MaxEventBytes bounds the body of an event request: thousands of alerts
// of one Alertmanager group (group_by keeps groups smaller).
const MaxEventBytes = 8 << 20

// eventRoutes are the event endpoints, behind the same middleware as
// /graphql; with authentication on, callers need events.post (the events
// role, e.g. Alertmanager's http_config bearer token):
//
//	POST /api/v1/events/alertmanager   Alertmanager's webhook (payload version 4)
//	POST /api/v1/events                the generic event (README "Monitoring events"), or an array of them
//
// The mapping is app.Services.Events' (--event-mapping), so both ways in
// map events alike.
func eventRoutes(services *app.Services) []apiRoute {
	svc := services.Events
	return []apiRoute{{"POST " + AlertmanagerPath, auth.PermEventsPost, &eventsHandler{svc: svc, decode: func(r *http.Request, body io.Reader) ([]events.Input, error) {
		ins, truncated, err := svc.Mapping.DecodeAlertmanager(body)
		if truncated > 0 {
			hlog.FromRequest(r).Warn().Int("truncated_alerts", truncated).
				Msg("Alertmanager left alerts out of a webhook payload (max_alerts): Ripple never sees them")
		}
		return ins, err
	}}}, {"POST " + EventsPath, auth.PermEventsPost, &eventsHandler{svc: svc, decode: func(_ *http.Request, body io.Reader) ([]events.Input, error) {
		return events.DecodeGeneric(body, svc.Now())
	}}}}
}

// eventsHandler ingests the events of one request. Answers:
//
//	200 {"received": n, "outcomes": {"INCIDENT_CREATED": 1, ...}, "events": [{eventId, dedupKey, outcome, ciId, incidentId, error}]}
//	    (an event a rule refused is REJECTED, with the error; the others go in)
//	400 {"error": {"code": "INVALID_INPUT", "field": "alerts[3].labels", "message"}}: a malformed
//	    request (invalid UTF-8 included), refused whole: nothing was ingested
//	413 a body over MaxEventBytes
//	503 the store failed or was too busy; some events may have been
//	    ingested, and sending the request again is safe (ingestion is
//	    idempotent), which is what Alertmanager does with a 5xx
type eventsHandler struct {
	svc    *events.Service
	decode func(*http.Request, io.Reader) ([]events.Input, error)
}

type eventsAnswer struct {
	Received int                    `json:"received"`
	Outcomes map[events.Outcome]int `json:"outcomes"`
	Events   []events.Result        `json:"events"`
}

func (h *eventsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.ContentLength > MaxEventBytes {
		h.tooLarge(w)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxEventBytes))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		h.tooLarge(w)
		return
	case err != nil:
		status, e := readFailure(r, err)
		writeJSON(w, status, map[string]*importError{"error": e})
		return
	}
	if err := graph.CheckJSONText("", "the request body", body); err != nil {
		badParam(w, r, err) // before decoding turns the bad bytes into U+FFFD
		return
	}
	ins, err := h.decode(r, bytes.NewReader(body))
	if err != nil {
		badParam(w, r, err)
		return
	}
	results, err := h.svc.IngestAll(r.Context(), ins)
	if err != nil {
		status, e := errorStatus(r, err)
		if status < http.StatusInternalServerError {
			// Whatever stopped it, some events may be in: ask for the
			// retry that finishes the rest.
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, map[string]*importError{"error": e})
		return
	}
	ans := eventsAnswer{Received: len(ins), Outcomes: map[events.Outcome]int{}, Events: results}
	for _, res := range results {
		ans.Outcomes[res.Outcome]++
	}
	hlog.FromRequest(r).Info().Int("events", len(ins)).Interface("outcomes", ans.Outcomes).
		Dur("took", time.Since(start)).Msg("events ingested")
	writeJSON(w, http.StatusOK, ans)
}

func (h *eventsHandler) tooLarge(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	writeImportError(w, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", "",
		fmt.Sprintf("request body is larger than the limit of %d bytes", MaxEventBytes))
}
