package probe

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FDs returns how many file descriptors pid has open, and the inodes of those that are sockets.
func FDs(pid int) (n int, sockets map[uint64]bool, err error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, nil, err
	}
	sockets = map[uint64]bool{}
	for _, e := range ents {
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed in the meantime
		}
		if s, ok := strings.CutPrefix(link, "socket:["); ok {
			if ino, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
				sockets[ino] = true
			}
		}
	}
	return len(ents), sockets, nil
}

// TCPPeers maps the inode of every established TCP connection (IPv4 and IPv6) of this network namespace to
// its remote port.
func TCPPeers() (map[uint64]int, error) {
	out := map[uint64]int{}
	read := 0
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		read++
		sc := bufio.NewScanner(f)
		sc.Scan() // the header
		for sc.Scan() {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
			fs := strings.Fields(sc.Text())
			if len(fs) < 10 || fs[3] != "01" { // 01: ESTABLISHED
				continue
			}
			i := strings.LastIndexByte(fs[2], ':')
			port, err1 := strconv.ParseUint(fs[2][i+1:], 16, 16)
			ino, err2 := strconv.ParseUint(fs[9], 10, 64)
			if i < 0 || err1 != nil || err2 != nil || ino == 0 {
				continue
			}
			out[ino] = int(port)
		}
		f.Close()
	}
	if read == 0 {
		return nil, fmt.Errorf("no /proc/net/tcp")
	}
	return out, nil
}
