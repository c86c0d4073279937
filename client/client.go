// Package client holds gochat's static web client, embedded in the binary
// and served at /. It calls the API with relative URLs (api/rooms/...), so
// it also works under a path prefix such as nginx's /gochat/.
package client

import (
	"embed"
	"io/fs"
)

//go:embed *.html *.css *.js
var files embed.FS

// FS returns the client's files, rooted at the client folder.
func FS() fs.FS { return files }
