//go:build !linux

package socketio

import "errors"

// poller: there is none on this OS; every websocket has a reader goroutine of its own.
type poller struct{}

func newPoller(func(*wsTransport)) (*poller, error) { return nil, errors.New("no poller on this OS") }

func (p *poller) add(*wsTransport) error { return errors.New("no poller on this OS") }
func (p *poller) remove(*wsTransport)    {}
func (p *poller) close()                 {}
