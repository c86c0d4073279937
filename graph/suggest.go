package graph

import "strings"

// Bounds of "did you mean" hints: the most edits (a letter added,
// dropped, changed, or two swapped) a hint makes up for, and the longest
// name one is looked for.
const (
	maxSlips       = 3
	maxSuggestName = 64
)

// didYouMean returns "did you mean X? " for the candidate closest to name,
// compared without regard to case, when one is close enough to be a slip:
// at most maxSlips edits, and at most a third of name's letters (two for
// a short name). It returns "" when none is. It takes time linear in the
// candidates: each comparison is bounded by maxSuggestName and maxSlips.
func didYouMean(name string, candidates []string) string {
	a := []rune(strings.ToLower(name))
	if len(a) > maxSuggestName {
		return ""
	}
	best, bestDist := "", maxSlips+1
	limit := min(maxSlips, max(2, (len(a)+1)/3))
	for _, c := range candidates {
		if d := editDistance(a, []rune(strings.ToLower(c)), limit); d <= limit && d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return "did you mean " + best + "? "
}

// editDistance is the optimal string alignment distance between a and b
// (the fewest letters inserted, deleted, substituted or swapped with
// their neighbour that turn a into b) if it is at most k, and k+1
// otherwise. It fills only the band of the table within k of its
// diagonal: time len(a)*(2k+1).
func editDistance(a, b []rune, k int) int {
	n, m, inf := len(a), len(b), k+1
	if n-m > k || m-n > k {
		return inf
	}
	// Rows i-2, i-1 and i of the table; cells outside the band hold inf.
	prev2, prev, cur := make([]int, m+1), make([]int, m+1), make([]int, m+1)
	for j := range prev {
		prev[j] = min(j, inf)
	}
	for i := 1; i <= n; i++ {
		lo, hi := max(1, i-k), min(m, i+k)
		if lo == 1 {
			cur[0] = min(i, inf)
		} else {
			cur[lo-1] = inf
		}
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost, inf)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		if hi < m {
			cur[hi+1] = inf
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[m]
}
