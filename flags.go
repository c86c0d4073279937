package main

import (
	"errors"
	"flag"
	"strconv"
	"strings"
)

// errNotBool is what a boolean setting says of a value it does not take.
var errNotBool = errors.New("want 1, true, yes or on, or 0, false, no or off")

// parseBool reads a boolean setting: 1, true, yes or on, or 0, false, no
// or off, in any case. Environment files and unit files write booleans
// all these ways.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, errNotBool
}

// boolValue is a boolean flag.Value read by parseBool; like flag.Bool's,
// a bare -name sets it.
type boolValue bool

// Set implements flag.Value.
func (b *boolValue) Set(s string) error {
	v, err := parseBool(s)
	if err != nil {
		return err
	}
	*b = boolValue(v)
	return nil
}

// String implements flag.Value.
func (b *boolValue) String() string {
	return strconv.FormatBool(b != nil && bool(*b))
}

// IsBoolFlag lets -name stand for -name=true.
func (b *boolValue) IsBoolFlag() bool { return true }

// boolFlag defines a boolean flag on fs, read by parseBool, and returns
// where its value is kept.
func boolFlag(fs *flag.FlagSet, name string, value bool, usage string) *bool {
	p := new(bool)
	*p = value
	fs.Var((*boolValue)(p), name, usage)
	return p
}
