package gen

import (
	"context"
	"fmt"
)

// File paths, relative to the dashboards directory, of what this package generates.
const (
	KibanaFile = "kibana/vigia.ndjson"
	ZabbixFile = "zabbix/vigia-sei-template.yaml"
)

// Files returns every generated file by its path under the dashboards directory.
func Files(ctx context.Context) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, d := range Dashboards() {
		b, err := d.JSON()
		if err != nil {
			return nil, err
		}
		out["grafana/"+d.File] = b
	}
	b, err := KibanaNDJSON()
	if err != nil {
		return nil, err
	}
	out[KibanaFile] = b
	rules, err := DefaultRules()
	if err != nil {
		return nil, err
	}
	if b, err = ZabbixTemplate(ctx, rules); err != nil {
		return nil, err
	}
	out[ZabbixFile] = b
	for name, b := range out {
		if len(b) == 0 {
			return nil, fmt.Errorf("generated %s is empty", name)
		}
	}
	return out, nil
}
