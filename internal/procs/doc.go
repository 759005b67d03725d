// Package procs keeps GOMAXPROCS at the number of processors vigia's load needs, no more.
//
// vigia spends nearly all its time waiting on the network, a few hundred microseconds of work
// between waits. With a processor more than the work needs, every network event that readies a
// goroutine wakes a second thread to look for work it rarely finds, and the runtime's monitor
// wakes more often: on a 2-core machine at 10,000 instances that is about a sixth of vigia's CPU.
// The Tuner starts with one processor, adds one when the process's CPU over 10 s passes 70% of
// the processors it has (over 6 s, 90%), and gives one back when a minute of CPU use stays under
// 70% of one fewer (a processor fewer costs less CPU for the same work: that is the margin).
//
// An operator who sets GOMAXPROCS keeps it: the Tuner is not started (cmd/vigia).
package procs
