package socketio

import (
	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// roomlessAdapters gives the library's namespaces an adapter that keeps no rooms. scalechat's hub holds the
// rooms (by topic, striped) and broadcasts to them itself; the library's default adapter would keep, for
// every socket, two map entries and two sets for the one room it puts each socket in (the socket's own id),
// which nothing here reads: about 1.5 KiB of every idle socket's memory. Everything else is the library's
// default adapter.
type roomlessAdapters struct{}

// New implements socket.AdapterConstructor.
func (roomlessAdapters) New(nsp socket.Namespace) socket.Adapter {
	a := &roomless{Adapter: socket.MakeAdapter()}
	a.Prototype(a)
	a.Construct(nsp)
	return a
}

// roomless is the library's default adapter without room membership.
type roomless struct{ socket.Adapter }

// AddAll keeps nothing: no broadcast of the library's is addressed to a room.
func (*roomless) AddAll(socket.SocketId, *types.Set[socket.Room]) {}

// Del has nothing to remove.
func (*roomless) Del(socket.SocketId, socket.Room) {}

// DelAll has nothing to remove.
func (*roomless) DelAll(socket.SocketId) {}
