package augment

import "sort"

// NaturalLess orders strings the way people number things: runs of digits
// compare by value, so "2" < "10" and "img9" < "img10". Other text
// compares byte by byte. Ties in value ("01" vs "1") fall back to plain
// string order so the order is total and stable across runs.
func NaturalLess(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigit(ca) && isDigit(cb) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			da, db := trimZeros(a[si:i]), trimZeros(b[sj:j])
			if len(da) != len(db) {
				return len(da) < len(db)
			}
			if da != db {
				return da < db
			}
			continue
		}
		if ca != cb {
			return ca < cb
		}
		i++
		j++
	}
	if (len(a) - i) != (len(b) - j) {
		return len(a)-i < len(b)-j
	}
	return a < b
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// SortNatural sorts names in place in natural order.
func SortNatural(names []string) {
	sort.SliceStable(names, func(i, j int) bool { return NaturalLess(names[i], names[j]) })
}
