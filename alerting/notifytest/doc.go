// Package notifytest holds test doubles for alerting: a Recorder notifier that keeps every group
// it is given (and can be told to fail), a File notifier that appends groups to a file (for
// tests that kill the process that notifies), and a manual Clock.
package notifytest
