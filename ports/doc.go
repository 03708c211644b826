// Package ports declares the interfaces the core needs from the outside world, one small interface per
// capability. Each interface's godoc is its contract; ports/porttest holds one contract suite per port that
// every adapter (memory, sqlite, postgres, redis, kafka) must pass.
//
// Errors: every method returns errors categorised with the core error codes (core.ErrNotFound,
// core.ErrAlreadyExists, core.ErrUnavailable, ...). Adapters translate driver errors; nothing above them
// inspects a driver error. All methods are safe for concurrent use.
package ports
