package ports

import (
	"context"
	"time"
)

// Clock tells the time; tests substitute a controllable one.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
}

// IDGenerator makes unique, time-ordered ids (UUIDv7 text).
type IDGenerator interface {
	// NewID returns a new unique id.
	NewID() string
}

// Pinger is implemented by adapters that depend on a remote service or a file; /readyz calls it.
type Pinger interface {
	// Ping returns nil when the dependency is usable.
	Ping(ctx context.Context) error
}
