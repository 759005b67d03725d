// Package email owns the e-mail receiver: one message per alert group, with an HTML part and a
// plain-text part rendered from the (overridable) Portuguese templates, sent over SMTP with
// STARTTLS or implicit TLS, AUTH and timeouts through wneessen/go-mail. Recipients come from a
// template over the group's labels (typically the owner's address) with a fallback address.
// A 4xx answer is reported as retryable, a 5xx as final.
package email
