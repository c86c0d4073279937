package wire_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"gochat/wire"
)

// A handler outside the network answers an error the way the network
// does.
func Example() {
	rec := httptest.NewRecorder()
	wire.WriteAnswer(rec, wire.ErrorAnswer(wire.Errorf(http.StatusForbidden, "not from %s", "https://elsewhere.example")))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("X-Content-Type-Options"))
	fmt.Println(rec.Body.String())
	// Output:
	// 403 application/json; charset=utf-8 nosniff
	// {"error":{"status":403,"message":"not from https://elsewhere.example"}}
}

// The route table names the route of a path, for logs and metrics.
func ExampleTable_RouteOf() {
	routes := wire.NewTable()
	fmt.Println(routes.RouteOf("/api/rooms/lobby/messages"))
	fmt.Println(routes.RouteOf("/api/nothing"))
	// Output:
	// /api/rooms/:room/messages
	// unmatched
}
