package memory

import (
	"time"

	"github.com/google/uuid"

	"github.com/scalechat/scalechat/ports"
)

var (
	_ ports.Clock       = SystemClock{}
	_ ports.IDGenerator = UUIDv7{}
)

// SystemClock is the ports.Clock of the operating system.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// UUIDv7 is the ports.IDGenerator making UUIDv7 ids: random, yet sortable by creation time.
type UUIDv7 struct{}

// NewID returns a new UUIDv7 in its canonical text form. Within a process the ids strictly increase.
func (UUIDv7) NewID() string {
	// NewV7 fails only when the system's random source does, which leaves nothing sensible to do.
	return uuid.Must(uuid.NewV7()).String()
}
