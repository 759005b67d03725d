// Package gen generates the files of package dashboards that are not written by hand: the Grafana
// dashboards (built with grafana-foundation-sdk), the Kibana saved objects and the Zabbix
// template. `go generate ./dashboards` writes them; a test in package dashboards fails when the
// embedded files and this package disagree.
package gen
