package components

import (
	"fmt"
	"reflect"
	"strings"
)

// PortKind says how a port field holds its channels.
type PortKind int

// Port kinds, as goflow supports them.
const (
	Plain PortKind = iota // a channel field: PORT
	Array                 // a slice of channels: PORT[0]
	Map                   // a map of channels by string key: PORT[key]
)

// Port describes one port of a component, read from its struct by
// reflection: every exported channel field (or slice or map of channels)
// is a port. Receive-only channels are inports, send-only ones outports.
//
// A port is required unless its field is tagged `fbp:"optional"`: a
// required inport must be fed (by a connection, an initial packet or a
// network inport) and a required outport must go somewhere, or the graph
// does not load. Its `description` tag says in one line what flows
// through it; a configuration port is described by its component's
// ConfigPorts instead (see Configurable).
type Port struct {
	Name     string       // the field name, e.g. Out
	In       bool         // true for an inport
	Elem     reflect.Type // what flows through it
	Kind     PortKind     // plain, array or map
	Required bool         // whether a graph must connect it
	// Description says what flows through it, for `gochat graph
	// components`.
	Description string
	// Config describes a configuration port, nil for any other.
	Config *ConfigPort
}

// Direction returns "in" or "out".
func (p Port) Direction() string {
	if p.In {
		return "in"
	}
	return "out"
}

// String describes the port for people, e.g. "OUT (out, *components.Reply)".
func (p Port) String() string {
	name := strings.ToUpper(p.Name)
	switch p.Kind {
	case Array:
		name += "[index]"
	case Map:
		name += "[key]"
	}
	opt := ""
	if !p.Required {
		opt = ", optional"
	}
	return fmt.Sprintf("%s (%s, %s%s)", name, p.Direction(), p.Elem, opt)
}

// PortsOf lists the ports of components of type t, a pointer to a struct
// (or the struct), in field order, with the descriptions of their
// configuration ports (see Configurable), without building one.
func PortsOf(t reflect.Type) []Port {
	configs := map[string]*ConfigPort{}
	if t.Kind() == reflect.Pointer {
		for _, c := range ConfigPortsOf(t) {
			configs[c.Port] = &c
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var ports []Port
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		ft, kind := f.Type, Plain
		switch ft.Kind() {
		case reflect.Slice:
			ft, kind = ft.Elem(), Array
		case reflect.Map:
			if ft.Key().Kind() != reflect.String {
				continue
			}
			ft, kind = ft.Elem(), Map
		}
		if ft.Kind() != reflect.Chan || ft.ChanDir() == reflect.BothDir {
			continue
		}
		desc, config := f.Tag.Get("description"), configs[f.Name]
		if config != nil {
			desc = config.Description
		}
		ports = append(ports, Port{
			Name:     f.Name,
			In:       ft.ChanDir() == reflect.RecvDir,
			Elem:     ft.Elem(),
			Kind:     kind,
			Required: f.Tag.Get("fbp") != "optional",

			Description: desc,
			Config:      config,
		})
	}
	return ports
}

// FindPort returns the port of ports named name, compared without regard
// to case (OUT, out and Out all name the field Out).
func FindPort(ports []Port, name string) (Port, bool) {
	for _, p := range ports {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Port{}, false
}
