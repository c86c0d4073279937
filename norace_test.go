//go:build !race

package main

// race says whether the tests run with -race; the binary they build
// matches.
const race = false
