// Package test renders the vigia Helm chart with the Helm Go SDK and checks the manifests, the
// Dockerfile, the compose stack and the systemd unit. It is a separate module so that Helm's and
// Kubernetes' dependency trees never enter vigia's own go.mod.
package test
