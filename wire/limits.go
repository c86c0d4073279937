package wire

import (
	"errors"
	"strconv"
	"time"
)

// Limits of the API, checked by the adapter and the controllers.
const (
	// MaxRoomLen is the longest room name, in characters of [A-Za-z0-9_-].
	MaxRoomLen = 64
	// MaxEpochLen is the longest epoch a client may send.
	MaxEpochLen = 64
	// MaxTextRunes is the longest message text, in Unicode code points
	// after trimming (not UTF-16 units: an emoji such as 😀 counts 1).
	MaxTextRunes = 2000
	// MaxAuthorRunes is the longest author name, in Unicode code points
	// after trimming.
	MaxAuthorRunes = 64
	// MaxBodyBytes is the largest request body the API accepts.
	MaxBodyBytes = 64 << 10
	// MaxKeyLength is the longest Idempotency-Key.
	MaxKeyLength = 64
)

// ParseWait reads the wait parameter of a read: "" is no wait, otherwise
// a non-negative integer number of seconds, clamped to max (so is a number
// too large to parse). It is the one reading of wait: the Controller's,
// and the adapter's for its own deadline.
func ParseWait(s string, max time.Duration) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	secs, err := strconv.ParseUint(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return max, nil
	}
	if err != nil {
		return 0, errors.New("wait must be a non-negative integer number of seconds")
	}
	if secs >= uint64(max/time.Second) {
		return max, nil
	}
	return time.Duration(secs) * time.Second, nil
}
