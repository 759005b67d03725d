package alerting

import "time"

// Clock tells the manager what time it is. Tests pass a manual clock (alerting/notifytest.Clock)
// and step the dispatcher with Manager.Sync, so no test sleeps to see a group_wait pass.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
