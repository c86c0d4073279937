package graph

import (
	"encoding/json"
	"reflect"
	"strings"

	"gochat/components"
)

// ComponentPayload is a component as the FBP protocol's component:component
// message describes it (flowbased/fbp-protocol, schema/yaml/component.yml).
type ComponentPayload struct {
	Name        string        `json:"name"` // with gochat's library prefix, e.g. gochat/Router
	Description string        `json:"description"`
	Subgraph    bool          `json:"subgraph"` // always false: gochat's components are Go code
	InPorts     []PortPayload `json:"inPorts"`
	OutPorts    []PortPayload `json:"outPorts"`
}

// PortPayload is a port as the FBP protocol's port_definition describes
// it.
type PortPayload struct {
	ID          string `json:"id"`   // the port's name, lower case as FBP graphs write it
	Type        string `json:"type"` // string, int, number, boolean, array or object
	Required    bool   `json:"required"`
	Addressable bool   `json:"addressable,omitempty"` // an array or map port, PORT[index]
	Description string `json:"description,omitempty"`
	Default     any    `json:"default,omitempty"` // a configuration port's default, as the value it takes
	Values      []any  `json:"values,omitempty"`  // the values a configuration port allows, if a fixed set
}

// ComponentsJSON returns the FBP protocol payloads of the components in
// catalog, as a JSON array, indented.
func ComponentsJSON(catalog []components.Info) []byte {
	b, err := json.MarshalIndent(ComponentPayloads(catalog), "", "  ")
	if err != nil {
		// Names, strings and the values of configuration ports always
		// encode.
		panic(err)
	}
	return append(b, '\n')
}

// LibraryName returns the name FBP graphs shared between runtimes give
// component: with gochat's LibraryPrefix, unless it names its library
// already (core/Repeat).
func LibraryName(component string) string {
	if strings.Contains(component, "/") {
		return component
	}
	return LibraryPrefix + component
}

// ComponentPayloads returns the FBP protocol payloads of the components
// in catalog, in its order.
func ComponentPayloads(catalog []components.Info) []ComponentPayload {
	out := make([]ComponentPayload, 0, len(catalog))
	for _, info := range catalog {
		c := ComponentPayload{Name: LibraryName(info.Name), Description: info.Description, InPorts: []PortPayload{}, OutPorts: []PortPayload{}}
		for _, p := range info.Ports() {
			pp := PortPayload{ID: strings.ToLower(p.Name), Type: fbpType(p.Elem), Required: p.Required,
				Addressable: p.Kind != components.Plain, Description: p.Description}
			if cfg := p.Config; cfg != nil {
				pp.Type = cfg.Type
				if !p.Required {
					pp.Default = value(cfg, cfg.Default)
				}
				for _, v := range cfg.Values {
					pp.Values = append(pp.Values, value(cfg, v))
				}
			}
			if p.In {
				c.InPorts = append(c.InPorts, pp)
			} else {
				c.OutPorts = append(c.OutPorts, pp)
			}
		}
		out = append(out, c)
	}
	return out
}

// value returns text read by cfg.Parse, as the port takes it; text itself
// if it does not read (the tests make sure every default and value does).
func value(cfg *components.ConfigPort, text string) any {
	if v, err := cfg.Parse(text); err == nil {
		return v
	}
	return text
}

// fbpType names the FBP protocol type of packets of type t.
func fbpType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "int"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Interface:
		return "all"
	}
	return "object"
}
