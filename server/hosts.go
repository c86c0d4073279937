package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"gochat/wire"
)

// ParseHosts checks a comma-separated list of host names for
// -allowed-hosts, such as "chat.example, *.chat.example, 203.0.113.5":
// names, IP addresses, "*.name" for every name under name, or "*" for
// any host. A port given with a name is ignored. Names are compared
// without regard to case.
func ParseHosts(list string) ([]string, error) {
	var out []string
	for _, h := range strings.Split(list, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if h == "*" {
			out = append(out, h)
			continue
		}
		wild := strings.HasPrefix(h, "*.")
		name := hostName(strings.TrimPrefix(h, "*."))
		_, port, err := net.SplitHostPort(h)
		if !validHostName(name) || (err == nil && strings.Trim(port, "0123456789") != "") {
			return nil, fmt.Errorf("allowed host %q: want a host name or address such as chat.example, *.chat.example or *", h)
		}
		if wild {
			name = "*." + name
		}
		out = append(out, name)
	}
	return out, nil
}

// hostName returns the name in a Host header value (or a -allowed-hosts
// entry): without port, brackets or trailing dot, in lower case.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// validHostName reports whether name is an IP address or a DNS name.
func validHostName(name string) bool {
	if _, err := netip.ParseAddr(name); err == nil {
		return true
	}
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return false
		}
	}
	return true
}

// hostGuard decides which Host headers a listener answers, against DNS
// rebinding: a page of an attacker's name that resolves to gochat's
// address would otherwise be served as if it were gochat's own.
type hostGuard struct {
	any   bool            // every host is allowed
	names map[string]bool // allowed names and addresses
	under []string        // allowed domains, as ".name": any name under them
}

// newHostGuard returns the guard of a listener on addr (host:port). With
// allowed nil it takes the default: on a loopback address only loopback
// names (localhost, *.localhost, loopback addresses and addr's host);
// on any other address, or on every interface, any host. A list given
// keeps the loopback names allowed, for local tools and checks: no
// rebinding page can use them.
func newHostGuard(allowed []string, addr string) *hostGuard {
	listen, _, err := net.SplitHostPort(addr)
	if err != nil {
		listen = addr
	}
	listen = hostName(listen)
	g := &hostGuard{names: map[string]bool{"localhost": true, listen: true}, under: []string{".localhost"}}
	if allowed == nil {
		ip, err := netip.ParseAddr(listen)
		g.any = listen != "localhost" && (err != nil || !ip.IsLoopback())
		return g
	}
	for _, h := range allowed {
		switch {
		case h == "*":
			g.any = true
		case strings.HasPrefix(h, "*."):
			g.under = append(g.under, h[1:])
		default:
			g.names[h] = true
		}
	}
	return g
}

// allows reports whether a request with Host host may be served. A
// request without Host (HTTP/1.0) names no host, so no rebinding page
// sent it.
func (g *hostGuard) allows(host string) bool {
	if g.any || host == "" {
		return true
	}
	name := hostName(host)
	if g.names[name] {
		return true
	}
	if ip, err := netip.ParseAddr(name); err == nil {
		return ip.Unmap().IsLoopback()
	}
	for _, d := range g.under {
		if strings.HasSuffix(name, d) {
			return true
		}
	}
	return false
}

// hostCheck answers 421 to a request for a host g does not allow, on
// every path of next.
func hostCheck(g *hostGuard, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.allows(r.Host) {
			wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusMisdirectedRequest,
				"this server does not answer for host %.100q (its operator can allow it with -allowed-hosts)", r.Host)))
			return
		}
		next.ServeHTTP(w, r)
	})
}
