// Package desired owns the desired state of the fleet: which SEI, SIP and module versions each
// instance should run, read from a GitOps repository (a remote URL fetched periodically, or a local
// directory read as is), the fleet-wide "latest" versions from config, and the version arithmetic
// that turns an (observed, desired) pair into a drift level (none, patch, minor, major, ahead,
// unknown).
//
// Git is the source of truth, so a failure to read it must never erase what vigia already knows: a
// fetch error keeps the last good state, and a broken values file keeps the last good versions of
// the instance it described while every other file still loads. Failures are exported as metrics
// (vigia_desired_*) and logged once per change, not once per interval.
//
// For a remote repository the ref is force-fetched (shallow) into a bare clone under the cache
// directory and the values files are read from the fetched commit's tree. That has the semantics of
// "fetch + git reset --hard" (history rewrites and rollbacks are followed) while guaranteeing that
// the state is exactly one commit: no half-written checkout, no stray untracked file.
package desired
