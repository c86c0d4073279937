package components_test

import (
	"strings"
	"testing"

	"gochat/components"
)

// TestCatalogPortsAreAddressable: goflow finds a port's field by the name
// a graph gives it, title-casing a name in capitals or in lower case
// (URL becomes Url). A port field named in capitals, such as URL, would
// pass graph check and then stop the network at its start.
func TestCatalogPortsAreAddressable(t *testing.T) {
	for _, info := range components.Catalog() {
		for _, p := range info.Ports() {
			if lower := strings.ToLower(p.Name); p.Name == strings.ToUpper(p.Name) && p.Name != strings.ToUpper(lower[:1])+lower[1:] {
				t.Errorf("%s: port field %s cannot be addressed by goflow; name it %s", info.Name, p.Name, strings.ToUpper(lower[:1])+lower[1:])
			}
		}
	}
}
