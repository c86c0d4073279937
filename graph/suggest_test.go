package graph

import (
	"strings"
	"testing"
)

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		k    int
		want int
	}{
		{"filter", "filter", 3, 0},
		{"filtre", "filter", 3, 1}, // two letters swapped
		{"controler", "controller", 3, 1},
		{"error", "err", 3, 2},
		{"", "abc", 3, 3},
		{"abc", "", 2, 3}, // past k: k+1
		{"storage", "responder", 3, 4},
		{"ab", "ba", 1, 1},
		{"kitten", "sitting", 3, 3},
		{"ca", "abc", 3, 3}, // optimal string alignment, not Damerau: 3
	} {
		if got := editDistance([]rune(tc.a), []rune(tc.b), tc.k); got != tc.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.k, got, tc.want)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	names := []string{"Controller", "Filter", "RateLimit", "Responder", "Router", "SendController", "Storage", "Transcript"}
	for name, want := range map[string]string{
		"Filtre":                     "did you mean Filter? ",
		"controler":                  "did you mean Controller? ",
		"router":                     "did you mean Router? ",
		"Ratelimits":                 "did you mean RateLimit? ",
		"Webhook":                    "",
		"X":                          "",
		strings.Repeat("Router", 20): "",
	} {
		if got := didYouMean(name, names); got != want {
			t.Errorf("didYouMean(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestEditDistanceBand: the banded table agrees with the whole one.
func TestEditDistanceBand(t *testing.T) {
	full := func(a, b []rune) int {
		d := make([][]int, len(a)+1)
		for i := range d {
			d[i] = make([]int, len(b)+1)
			d[i][0] = i
		}
		for j := range d[0] {
			d[0][j] = j
		}
		for i := 1; i <= len(a); i++ {
			for j := 1; j <= len(b); j++ {
				cost := 1
				if a[i-1] == b[j-1] {
					cost = 0
				}
				d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
				if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
					d[i][j] = min(d[i][j], d[i-2][j-2]+1)
				}
			}
		}
		return d[len(a)][len(b)]
	}
	words := []string{"", "a", "ab", "ba", "abc", "acb", "bca", "abcd", "badc", "aabb", "abab", "bbaa", "abcde", "edcba"}
	for _, a := range words {
		for _, b := range words {
			for k := 0; k <= 3; k++ {
				want := min(full([]rune(a), []rune(b)), k+1)
				if got := editDistance([]rune(a), []rune(b), k); got != want {
					t.Errorf("editDistance(%q, %q, %d) = %d, want %d", a, b, k, got, want)
				}
			}
		}
	}
}
