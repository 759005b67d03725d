// Package webhook owns the generic webhook receiver: a JSON POST in Alertmanager's webhook format
// (version 4), so tools that already accept Alertmanager webhooks accept vigia's, optionally signed
// with an HMAC-SHA256 header. It also owns the small HTTP client every HTTP-based notifier shares
// (TLS options, timeouts, and the honest classification of a failure as retryable or not), because
// Teams, Slack-compatible webhooks and Alertmanager all post JSON the same way.
package webhook
