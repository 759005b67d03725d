package gen

import (
	"regexp"
	"testing"
)

// Zabbix 6.0 rejects an import whose uuids are not UUIDv4 (32 hex digits, version 4, RFC 4122
// variant); without VIGIA_IT no real Zabbix checks the shape, so this test does.
func TestUUID4IsAStableVersion4UUID(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$`)
	seen := map[string]string{}
	for _, parts := range [][]string{{"item", "vigia.up"}, {"item", "vigia.latency"}, {"trigger", "vigia.up"}, {"template", ZabbixTemplateName}} {
		u := uuid4(parts...)
		if !v4.MatchString(u) {
			t.Errorf("uuid4(%v) = %q, not a UUIDv4 without dashes", parts, u)
		}
		if u != uuid4(parts...) {
			t.Errorf("uuid4(%v) is not stable", parts)
		}
		if other, dup := seen[u]; dup {
			t.Errorf("uuid4(%v) = uuid4(%v)", parts, other)
		}
		seen[u] = parts[0] + "/" + parts[1]
	}
}
