package clientaddr_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scalechat/scalechat/adapters/clientaddr"
)

func TestOf(t *testing.T) {
	for _, c := range []struct {
		remote, header, value, want string
	}{
		{"203.0.113.7:5555", "", "", "203.0.113.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "", "", "2001:db8:1:2::/64"},
		{"[::ffff:198.51.100.1]:80", "", "", "198.51.100.1"},
		{"10.0.0.1:80", "X-Forwarded-For", "1.2.3.4, 198.51.100.9", "198.51.100.9"},
		{"10.0.0.1:80", "X-Forwarded-For", "garbage", "10.0.0.1"},
		{"10.0.0.1:80", "X-Forwarded-For", "", "10.0.0.1"},
		{"10.0.0.1:80", "", "1.2.3.4", "10.0.0.1"}, // the header is not trusted unless named
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.value != "" {
			r.Header.Set("X-Forwarded-For", c.value)
		}
		assert.Equal(t, c.want, clientaddr.Of(r, c.header), "%+v", c)
	}
}
