// Package testenv connects tests to the real services that test/services.sh starts
// (ZincSearch, Alertmanager, Prometheus, Zabbix server and API) and to the tool binaries
// installed beside them (promtool, prometheus, alertmanager, zabbix_sender, chromium).
//
// It owns one rule of the project: when VIGIA_IT=1, a service a test needs and cannot reach is a
// test failure; without VIGIA_IT=1 the test is skipped with the command that starts the
// services. Tests call Require, or one of the accessors that call it (Zinc, Zabbix, ...).
//
// Where the values come from: the process environment first; for a variable not set there,
// the env file that `test/services.sh start` writes ($VIGIA_RUNDIR/env, by default
// /tmp/vigia-it/env), so `go test` works after `services.sh start` without sourcing the file.
// VIGIA_IT itself is only read from the process environment: starting the services does not
// turn a developer's skips into failures.
//
// Service names accepted by Require:
//
//	zinc               ZincSearch answers at VIGIA_ZINC_URL (Elasticsearch API) with VIGIA_ZINC_USER/PASSWORD
//	zinc-bin           the zincsearch binary (VIGIA_ZINC_BIN), for tests that run their own store
//	alertmanager       the shared Alertmanager answers /-/ready at VIGIA_ALERTMANAGER_URL
//	alertmanager-bin   the Alertmanager binary (VIGIA_ALERTMANAGER_BIN), for tests that run their own
//	prometheus         the Prometheus binary (VIGIA_PROMETHEUS_BIN)
//	prometheus-server  the shared Prometheus answers /-/ready at VIGIA_PROMETHEUS_URL
//	promtool           promtool (VIGIA_PROMTOOL)
//	zabbix             the Zabbix API (VIGIA_ZABBIX_API) answers and the trapper port
//	                   (VIGIA_ZABBIX_SENDER_ADDR) accepts connections
//	zabbix-sender      the zabbix_sender binary (VIGIA_ZABBIX_SENDER_BIN)
//	chromium           headless-capable Chromium (VIGIA_CHROMIUM, after services.sh install-browser)
//	chromedriver       ChromeDriver (VIGIA_CHROMEDRIVER)
//
// StartProcess runs a child process for one test (an own Alertmanager, Prometheus, Zinc, vigia
// itself), waits until it is ready and stops it when the test ends, showing its log if the test
// failed.
package testenv
