// Command write regenerates the generated files of package dashboards (Grafana dashboards, Kibana
// saved objects, Zabbix template). Run it through `go generate ./dashboards`.
package main
