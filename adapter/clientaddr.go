package adapter

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// DefaultTrustedProxies are the peers whose X-Real-IP and X-Forwarded-For
// headers are believed unless configured otherwise: loopback, where nginx
// usually runs.
const DefaultTrustedProxies = "127.0.0.0/8,::1/128"

// ParsePrefixes reads a comma-separated list of CIDR prefixes or bare
// addresses, e.g. "127.0.0.0/8, 10.1.2.3". An empty list trusts no one.
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an address or a CIDR prefix such as 10.0.0.0/8", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// ClientAddr returns the address of the client behind r. Only when the
// peer is a trusted proxy does it believe the proxy's headers: first
// X-Real-IP, then the right-most address in X-Forwarded-For that is not
// itself a trusted proxy. Otherwise, and when the headers hold no valid
// address, it is the peer's address.
func ClientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !contains(trusted, peer) {
		return host
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); err == nil {
		return a.Unmap().String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a hop we cannot read: trust nothing further left
		}
		if !contains(trusted, a) {
			return a.Unmap().String()
		}
	}
	return host
}

func contains(prefixes []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
