// Package debugui holds the live graph page served at /debug/ with
// -debug: static HTML, CSS and one ES module, embedded in the binary (no
// framework, no build step, no CDN). The page draws the running graph as
// SVG with live packet counts, and edits, applies and saves it.
package debugui

import (
	"embed"
	"io/fs"
)

//go:embed *.html *.css *.js
var files embed.FS

// FS returns the page's files, rooted at the debugui folder.
func FS() fs.FS { return files }

// TokenPlaceholder is the text in index.html that the server replaces
// with its CSRF token, which the page sends with every edit.
const TokenPlaceholder = "{{CSRF_TOKEN}}"
