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

// DefaultIPv6Prefix is the prefix length by which ClientKey counts IPv6
// clients: every IPv6 client controls at least a /64.
const DefaultIPv6Prefix = 64

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

// ClientAddr returns the address of the client behind r, without a zone
// id. Only when the peer is a trusted proxy does it believe the proxy's
// headers: first X-Real-IP, then the right-most address in
// X-Forwarded-For that is not itself a trusted proxy. Otherwise, and when
// the headers hold no valid address, it is the peer's address.
func ClientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if !contains(trusted, peer) {
		return plain(peer)
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); err == nil {
		return plain(a)
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a hop we cannot read: trust nothing further left
		}
		if !contains(trusted, a) {
			return plain(a)
		}
	}
	return plain(peer)
}

// plain writes a without its zone id, an IPv4-mapped address as IPv4.
func plain(a netip.Addr) string {
	return a.Unmap().WithZone("").String()
}

// ClientKey returns what the per-client limits count addr (as ClientAddr
// returns it) by: an IPv4 or loopback address itself, and for any other
// IPv6 address its prefix of ipv6Prefix bits (e.g. 2001:db8:1:2::/64),
// since an IPv6 client has a whole prefix to pick addresses from. A
// string that is not an address is its own key.
func ClientKey(addr string, ipv6Prefix int) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	if p := a.Unmap().WithZone(""); p != a {
		a, addr = p, p.String()
	}
	if a.Is4() || a.IsLoopback() {
		return addr
	}
	p, err := a.Prefix(ipv6Prefix)
	if err != nil {
		return a.String()
	}
	return p.String()
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
