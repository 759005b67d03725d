// Package log is the simplest receiver: it writes each notification to vigia's own log, one line
// per group and one per alert. It needs no external service, so a fresh install can show its
// alerts before any chat or e-mail is configured.
package log
