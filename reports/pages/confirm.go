package pages

import (
	"strings"
	"time"
)

// Confirmation is how a thread confirmed a fix, weakest first: a fix with
// a stronger confirmation ranks higher on its page and says so.
type Confirmation int

// Confirmations.
const (
	ConfirmNone       Confirmation = iota // a suggestion nobody confirmed
	ConfirmClosed                         // the issue was closed as completed right after it
	ConfirmMaintainer                     // a maintainer gave it
	ConfirmOthers                         // another user said it worked
	ConfirmReporter                       // the reporter said it worked
	ConfirmReleased                       // a release names the fix
)

// confirmText is what a page says about a confirmation, at a glance.
var confirmText = map[Confirmation]string{
	ConfirmNone:       "suggestion, not confirmed",
	ConfirmClosed:     "issue closed as completed after it",
	ConfirmMaintainer: "maintainer's answer",
	ConfirmOthers:     "confirmed by other users",
	ConfirmReporter:   "confirmed by the reporter",
	ConfirmReleased:   "fixed in a release",
}

// String is the confirmation as a page shows it.
func (c Confirmation) String() string { return confirmText[c] }

// minReactions is how many reactions on a comment confirm its fix.
const minReactions = 3

// closeWindow is how soon after a fix an issue must close for the close to
// count as confirming it.
const closeWindow = 14 * 24 * time.Hour

// confirmation finds how the thread th confirmed the fix f, found in post
// pi.
func confirmation(th []*post, pi int, f Finding) Confirmation {
	p := th[pi]
	is := p.issue
	l := strings.ToLower(prose(f.Text))
	// "This could probably be resolved by the latest release" guesses.
	if !hasMarker(l, hedges) && (f.Version != "" && hasAny(l, "fix", "resolved", "released", "shipped", "landed", "available", "patched") && (isMaintainer(p.assoc) || !hasAny(l, "i ", "we ")) ||
		hasAny(l, "release", "version") && hasAny(l, "fixed", "resolved", "addressed") && reFixedRel.MatchString(f.Text)) {
		return ConfirmReleased
	}
	best := ConfirmNone
	// The writer did it and says it worked.
	if success(l) || endsInSuccess(l) || (f.nextOK || p.success && !p.failed) && sentenceMask(l)&bFirstPerson != 0 {
		if p.author == is.Author {
			return ConfirmReporter
		}
		best = ConfirmOthers
	}
	// A later comment says it worked.
	for _, q := range th[pi+1:] {
		if q.author == p.author || !q.success || q.failed {
			continue
		}
		if q.author == is.Author {
			return ConfirmReporter
		}
		best = max(best, ConfirmOthers)
	}
	// Reactions on the comment are other users' votes that it helped.
	if best == ConfirmNone && !p.isBody && p.react >= minReactions {
		best = ConfirmOthers
	}
	if best == ConfirmNone && isMaintainer(p.assoc) {
		best = ConfirmMaintainer
	}
	if best == ConfirmNone && !p.isBody && is.State == "closed" && is.ClosedAt != nil &&
		is.StateReason != "not_planned" && is.StateReason != "duplicate" && pi >= len(th)-2 &&
		!is.ClosedAt.Before(p.at) && is.ClosedAt.Sub(p.at) <= closeWindow {
		best = ConfirmClosed
	}
	return best
}
