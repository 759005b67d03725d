// Package statuspage owns vigia's human-facing web view: the fleet status page at "/", one page
// per instance at "/instancias/{name}" and the alerts and silences page at "/alertas", with their
// embedded CSS, JavaScript and icons.
//
// The page is server-rendered with html/template and works on an isolated network: no CDN, no
// web font, no inline script or style, and a Content-Security-Policy that forbids any other
// origin. Filtering (owner, environment, state, text) and paging happen on the server, so one
// page of a 10,000-instance fleet stays small; a few lines of plain JavaScript refresh the data
// in place (with a pause control) and a <noscript> meta refresh covers browsers without it.
//
// It is read-only: it never changes state, so it needs no token. It reads the fleet through
// FleetSource (satisfied by *latest.Latest) and alerts and silences through AlertSource
// (satisfied by *alerting.Manager); both are defined here, where they are consumed.
//
// Operator-facing text is Portuguese. States are always shown as text plus an icon plus a
// colour, never colour alone.
package statuspage
