package gen

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/vigia-sei/vigia/config"
)

// DefaultRulesYAML are the alert rules the shipped Prometheus rules, the Zabbix template and the
// demo mirror: the rules section of scripts/demo.sh (a test keeps the two identical).
const DefaultRulesYAML = `
- {alert: SEIDown, probe: health, when: failing, for: 30s, severity: critical}
- {alert: SEIMaintenance, probe: health, when: maintenance, severity: info}
- {alert: SEISyntheticFailing, probe: synthetic, when: failing, severity: critical}
- {alert: SEISyntheticSlow, probe: synthetic, value: duration_seconds, above: 5, for: 2m}
- {alert: SEIVersionDrift, probe: version, drift: [major, minor]}
- {alert: SEIModuleIncompatible, when: module_incompatible}
- {alert: SEIProductionModeOff, when: production_mode_off}
`

// DefaultRules parses DefaultRulesYAML.
func DefaultRules() ([]config.Rule, error) { return ParseRules([]byte(DefaultRulesYAML)) }

// ParseRules decodes a YAML list of rules and applies config's default severity (warning).
func ParseRules(b []byte) ([]config.Rule, error) {
	var rules []config.Rule
	if err := yaml.Unmarshal(b, &rules); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	for i := range rules {
		if rules[i].Severity == "" {
			rules[i].Severity = "warning"
		}
	}
	return rules, nil
}
