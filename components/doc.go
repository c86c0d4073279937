// Package components holds gochat's flow-based components and the packets
// that flow between them.
//
// Each component is a plain struct whose channel fields are its ports and
// whose Process method owns its loop until its inports close; goflow then
// closes its outports, so closing the network's inport shuts the whole
// network down in order. The default network is
//
//	HTTP -> Router -READ--> Controller ---------------------------OUT-> READ  Storage -OUT-> Responder
//	        Router -WRITE-> RateLimit -OUT-> SendController -OUT-> WRITE Storage
//
// and every component's ERR outport goes to the Responder, the one place
// that turns results and errors into answers.
package components
