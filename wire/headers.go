package wire

import "net/http"

// Kind is a kind of answer, by its security headers.
type Kind int

// The kinds of answer.
const (
	// Any is every answer, set before its kind is known (a 421 from the
	// host check included): never sniffed, no referrer.
	Any Kind = iota
	// API is a JSON answer of the API: never framed or rendered as a page.
	API
	// Page is one of the client's files: the page's own policy, and a
	// referrer kept to the origin, for the page may link out.
	Page
)

// PageContentSecurityPolicy is sent with the client's files: scripts,
// styles and connections from gochat's own origin only, no inline script,
// no framing.
const PageContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// apiContentSecurityPolicy is sent with every JSON answer.
const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'"

// SetSecurityHeaders sets the security headers of an answer of kind k in
// h: X-Content-Type-Options, Referrer-Policy and, but for Any,
// Content-Security-Policy. It is where gochat's security headers are
// declared.
func SetSecurityHeaders(h http.Header, k Kind) {
	h.Set("X-Content-Type-Options", "nosniff")
	switch k {
	case Any:
		h.Set("Referrer-Policy", "no-referrer")
	case API:
		h.Set("Content-Security-Policy", apiContentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
	case Page:
		h.Set("Content-Security-Policy", PageContentSecurityPolicy)
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	}
}
