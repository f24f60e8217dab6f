package pages

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// markerSet finds any of a list of markers in a lower-case sentence in one
// pass over its words: Latin-script markers are looked up by their first
// word at each word start (whole words, as markerAt matches them), the
// others (CJK, symbols) by substring. Mining runs every list on every
// sentence of every thread, so this is the hot path of a page.
type markerSet struct {
	byWord map[string][]string
	first  [128]bool // first bytes of the first words in byWord
	other  []string
}

// wordByte tells the ASCII bytes that are part of a word.
var wordByte = func() (t [128]bool) {
	for c := 0; c < 128; c++ {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	return t
}()

// markerSets holds the set of each marker list, keyed by the list's first
// element; built once at start-up and read-only afterwards.
var markerSets = map[*string]*markerSet{}

// Bits of a sentence's marker mask: which lists it holds a marker of.
const (
	bModal uint32 = 1 << iota
	bFirstPerson
	bSuccess
	bFailure
	bHousekeeping
	bCause
	bHedge
	bFixed
	bStrongCause
	bObjectNoun
)

// maskLists are the lists behind the mask bits, in bit order.
var maskLists = [][]string{modalMarkers, firstPersonDone, successMarkers, failureMarkers, housekeeping, causeMarkers,
	hedges, fixedWords, strongCause, objectNouns}

// allMarkers is every list of maskLists in one set, each marker with its
// bit, so one pass over a sentence gives its whole mask.
var allMarkers = struct {
	byWord map[string][]maskedMarker
	first  [128]bool
	other  []maskedMarker
}{byWord: map[string][]maskedMarker{}}

type maskedMarker struct {
	mk  string
	bit uint32
}

func init() {
	for _, list := range append([][]string{storyStarts}, maskLists...) {
		markerSets[&list[0]] = newMarkerSet(list)
	}
	for i, list := range maskLists {
		bit := uint32(1) << i
		for _, mk := range list {
			r, _ := utf8.DecodeRuneInString(mk)
			if r < 0x80 && isWordRune(r) {
				w := mk[:wordEnd(mk, 0)]
				allMarkers.byWord[w] = append(allMarkers.byWord[w], maskedMarker{mk, bit})
				allMarkers.first[mk[0]] = true
				continue
			}
			allMarkers.other = append(allMarkers.other, maskedMarker{mk, bit})
		}
	}
}

// markerMask returns the bits of the lists whose markers occur in l
// (lower-case), as hasMarker would find them, in one pass.
func markerMask(l string) uint32 {
	var mask uint32
	if !isASCII(l) {
		for _, m := range allMarkers.other {
			if mask&m.bit == 0 && strings.Contains(l, m.mk) {
				mask |= m.bit
			}
		}
	} else {
		for _, m := range allMarkers.other {
			if m.mk[0] < 0x80 && mask&m.bit == 0 && strings.Contains(l, m.mk) {
				mask |= m.bit
			}
		}
	}
	prevWord := false
	for i := 0; i < len(l); {
		c := l[i]
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(l[i:])
			prevWord = isWordRune(r)
			i += size
			continue
		}
		if !wordByte[c] {
			prevWord = false
			i++
			continue
		}
		if prevWord || !allMarkers.first[c] {
			prevWord = true
			i++
			continue
		}
		j := wordEnd(l, i)
		for _, m := range allMarkers.byWord[l[i:j]] {
			if mask&m.bit == 0 && strings.HasPrefix(l[i:], m.mk) && endsWord(l, i+len(m.mk), m.mk) {
				mask |= m.bit
			}
		}
		prevWord = true
		i++
	}
	return mask
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// wordEnd is the end of the word that starts at i: letters, digits, "'"
// and "-".
func wordEnd(l string, i int) int {
	for i < len(l) {
		if c := l[i]; c < 0x80 {
			if !(wordByte[c] || c == '\'' || c == '-') {
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(l[i:])
		if !(isWordRune(r) || r == '\'' || r == '-') {
			break
		}
		i += size
	}
	return i
}

func newMarkerSet(list []string) *markerSet {
	m := &markerSet{byWord: map[string][]string{}}
	for _, mk := range list {
		r, _ := utf8.DecodeRuneInString(mk)
		if r < 0x80 && isWordRune(r) {
			w := mk[:wordEnd(mk, 0)]
			m.byWord[w] = append(m.byWord[w], mk)
			m.first[mk[0]] = true
			continue
		}
		m.other = append(m.other, mk)
	}
	return m
}

func (m *markerSet) has(l string) bool {
	if len(m.other) > 0 {
		for _, mk := range m.other {
			if strings.Contains(l, mk) {
				return true
			}
		}
	}
	prevWord := false
	for i := 0; i < len(l); {
		c := l[i]
		if c < 0x80 {
			// ASCII fast path: most of a sentence.
			if !wordByte[c] {
				prevWord = false
				i++
				continue
			}
			if prevWord || !m.first[c] {
				prevWord = true
				i++
				continue
			}
			j := wordEnd(l, i)
			for _, mk := range m.byWord[l[i:j]] {
				if strings.HasPrefix(l[i:], mk) && endsWord(l, i+len(mk), mk) {
					return true
				}
			}
			prevWord = true
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(l[i:])
		prevWord = isWordRune(r)
		i += size
	}
	return false
}

// endsWord reports whether a marker ending at e in l ends at a word
// boundary when its last character is a Latin letter.
func endsWord(l string, e int, mk string) bool {
	r, _ := utf8.DecodeLastRuneInString(mk)
	if !(r < 0x80 && unicode.IsLetter(r)) || e >= len(l) {
		return true
	}
	n, _ := utf8.DecodeRuneInString(l[e:])
	return !isWordRune(n)
}

// reNoLongerState is "no longer" before a state ("the token is no longer
// valid", "no longer supported"): it describes the failure, where "it no
// longer happens" reports a success.
var reNoLongerState = regexp.MustCompile(`\bno longer (?:be |being )?(?:recogni[sz]ed|valid|supported|available|accepted|allowed|exists?|present|maintained|compatible|registered|found|reachable)\b`)

// sentenceMask is markerMask with the two markers whose sense the words
// after them change: "no longer" before a state is no success, and
// "instead of" before what did not happen ("shows the error instead of
// retrying") is no action the writer took ("I used X instead" still is).
func sentenceMask(l string) uint32 {
	m := markerMask(l)
	if m&bSuccess != 0 && strings.Contains(l, "no longer ") && reNoLongerState.MatchString(l) {
		m = m&^bSuccess | markerMask(reNoLongerState.ReplaceAllString(l, " "))&bSuccess
	}
	if m&bFirstPerson != 0 && strings.Contains(l, "instead of") {
		m = m&^bFirstPerson | markerMask(strings.ReplaceAll(l, "instead of", " "))&bFirstPerson
	}
	return m
}
