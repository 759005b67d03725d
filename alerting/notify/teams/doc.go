// Package teams owns the Microsoft Teams receiver: an adaptive card posted to a Teams workflow
// webhook ("Post to a channel when a webhook request is received"), the replacement for the retired
// Office 365 connectors. One card per group, coloured by the worst severity, with each alert's
// instance, evidence and runbook link.
package teams
