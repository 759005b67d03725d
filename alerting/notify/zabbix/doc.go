// Package zabbix owns the Zabbix receiver, built for teams that already run Zabbix:
//
//   - Provisioning through the JSON-RPC API (fabiang/go-zabbix): one host per SEI instance, a
//     host group per owner, tags for environment and labels, trapper items for the key
//     observations and one trapper item plus trigger per vigia rule (vigia.alert[<rule>]).
//     Idempotent: only what is missing or differs is created or updated; hosts of instances that
//     left the fleet are disabled, never deleted. Zabbix 6.0 (auth field) and 6.4+/7.x (Bearer
//     header) are told apart by apiinfo.version at connect time.
//   - Values through the Zabbix sender protocol (trapper) to the server or a proxy, in batches with
//     clock and ns, optionally over certificate-based TLS; the server's processed/failed answer is
//     parsed and failures are reported.
//   - A bounded queue in front of the sender, so values and alert states survive a Zabbix outage and
//     leave in order after it; the queue's depth, drops and failures are metrics.
//
// Alert states reach Zabbix as values of vigia.alert[<rule>] (1 firing, 0 resolved), so the
// trigger opens and closes the problem inside Zabbix, where its own actions and escalations apply.
// The sender protocol is written here rather than taken from datadope-io/go-zabbix: that library
// sends no ns, has no TLS and no context, and its dial cannot be cancelled.
package zabbix
