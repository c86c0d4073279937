package components

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// ConfigPort describes a configuration inport, one a graph usually feeds
// with an initial packet: what it takes, its default, and how the packet's
// text is read and checked. `gochat graph check` reads every initial
// packet with Parse, at the packet's line and column, and the running
// network receives what Parse returned; `gochat graph components` shows
// the rest.
type ConfigPort struct {
	// Port is the port's field name, e.g. Mode.
	Port string
	// Type is the port's type as the FBP protocol names it: string, int,
	// number, boolean, array or object.
	Type string
	// Default is the value the component takes when no packet arrives,
	// written as an initial packet would write it: "" for a required
	// port, which has none, and for an optional one whose default is the
	// empty text.
	Default string
	// Values, when not empty, lists every value the port allows.
	Values []string
	// Description says what the port configures, in one line.
	Description string
	// Parse reads an initial packet's text into the value the port takes
	// (of its channel's element type), or says why it cannot, for the
	// graph's author: "MODE is reject or mask, got 'block'".
	Parse func(text string) (any, error)
}

// Configurable is implemented by components with configuration ports.
// ConfigPorts must not look at its receiver: the catalogue calls it on a
// nil pointer, without building the component.
type Configurable interface {
	// ConfigPorts describes the component's configuration ports.
	ConfigPorts() []ConfigPort
}

// quote writes a packet's text as a graph file would, in single quotes.
func quote(text string) string { return "'" + text + "'" }

// stringChoice describes a string port that takes one of values.
func stringChoice(port, def, description string, values ...string) ConfigPort {
	return ConfigPort{Port: port, Type: "string", Default: def, Values: values, Description: description,
		Parse: func(text string) (any, error) { return parseChoice(port, text, values) }}
}

// parseChoice returns text if it is one of values.
func parseChoice(port, text string, values []string) (string, error) {
	if !slices.Contains(values, text) {
		return "", fmt.Errorf("%s is %s, got %s", strings.ToUpper(port), orList(values), quote(text))
	}
	return text, nil
}

// orList writes values as "a, b or c".
func orList(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

// intRange describes an int port that takes min to max; what says what
// the number counts, e.g. "parked reads".
func intRange(port string, def, min, max int, what, description string) ConfigPort {
	return ConfigPort{Port: port, Type: "int", Default: strconv.Itoa(def), Description: description,
		Parse: func(text string) (any, error) {
			n, err := strconv.Atoi(strings.TrimSpace(text))
			if err != nil {
				return nil, fmt.Errorf("%s takes a number of %s, got %s", strings.ToUpper(port), what, quote(text))
			}
			if err := checkInt(port, n, min, max, what); err != nil {
				return nil, err
			}
			return n, nil
		}}
}

// checkInt returns an error if n is not within min to max: the check
// both graph check (through intRange) and the running component make.
func checkInt(port string, n, min, max int, what string) error {
	if n < min || n > max {
		return fmt.Errorf("%s takes a number of %s from %d to %d, got '%d'", strings.ToUpper(port), what, min, max, n)
	}
	return nil
}

// positiveNumber describes a float64 port that takes a number above 0 and
// at most max; what says what it counts, e.g. "tokens a second".
func positiveNumber(port string, def, max float64, what, description string) ConfigPort {
	return ConfigPort{Port: port, Type: "number", Default: strconv.FormatFloat(def, 'f', -1, 64), Description: description,
		Parse: func(text string) (any, error) {
			f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
			if err != nil {
				return nil, fmt.Errorf("%s takes a number of %s, got %s", strings.ToUpper(port), what, quote(text))
			}
			if err := checkPositive(port, f, max, what); err != nil {
				return nil, err
			}
			return f, nil
		}}
}

// checkPositive returns an error unless 0 < f <= max.
func checkPositive(port string, f, max float64, what string) error {
	if !(f > 0 && f <= max) { // NaN too
		return fmt.Errorf("%s takes a number of %s above 0 and at most %s, got '%v'", strings.ToUpper(port), what, strconv.FormatFloat(max, 'f', -1, 64), f)
	}
	return nil
}

// stringList reads a JSON list of strings, e.g. '["spam","scam"]'.
func stringList(port, text string) ([]string, error) {
	var list []string
	if err := json.Unmarshal([]byte(text), &list); err != nil {
		return nil, fmt.Errorf(`%s takes a list of words as JSON, e.g. '["spam","scam"]', got %s`, strings.ToUpper(port), quote(text))
	}
	return list, nil
}

// ConfigPortsOf returns the configuration ports of components of type t,
// a pointer to a component struct, without building one: nil if it is not
// Configurable.
func ConfigPortsOf(t reflect.Type) []ConfigPort {
	if c, ok := reflect.Zero(t).Interface().(Configurable); ok {
		return c.ConfigPorts()
	}
	return nil
}
