// Package latest owns the most recent Result per (instance, probe) and the fleet as currently
// probed. The JSON API (/api/v1/instances), the status page and `vigia check` read it.
package latest
