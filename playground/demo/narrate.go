package demo

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress is what the narration shows about the Canary and the commit
// under way as they change.
type progress struct {
	// phase and weight are the Canary's.
	phase  string
	weight int32
	// commit is the commit of the step, state and description its latest
	// commit status; empty before the first.
	commit             string
	state, description string
}

// narrator writes the story for people. Lines of narration scroll; the
// Canary's weight and the commit status are, on a terminal, one line at
// the bottom that is rewritten as they change and, elsewhere, a plain line
// per change. It is safe for concurrent use.
type narrator struct {
	mu    sync.Mutex
	out   io.Writer
	live  bool
	width int
	start time.Time
	// shown is the progress displayed last; line the progress line on the
	// terminal now, empty when none is displayed.
	shown progress
	line  string
}

// newNarrator returns a narrator writing to out (nil discards). The
// progress line is used when out is a terminal, unless TERM is dumb.
func newNarrator(out io.Writer) *narrator {
	if out == nil {
		out = io.Discard
	}
	n := &narrator{out: out, start: time.Now(), width: 100}
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb" {
		n.live = true
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 20 {
			n.width = w
		}
	}
	return n
}

// say writes a line of narration.
func (n *narrator) say(format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.erase()
	fmt.Fprintf(n.out, format+"\n", args...)
	n.redraw()
}

// heading starts a part of the story.
func (n *narrator) heading(format string, args ...any) {
	n.say("\n"+format, args...)
}

// sluice writes a message of sluice.
func (n *narrator) sluice(line logLine) {
	text := line.Msg
	if line.Error != "" {
		text += ": " + line.Error
	}
	if line.Level == "WARN" || line.Level == "ERROR" {
		text = "⚠ " + text
	}
	n.say("%s%s", tag("sluice"), text)
}

// show displays p: on a terminal as the progress line, elsewhere as a line
// for each of the weight and the commit status that changed.
func (n *narrator) show(p progress) {
	n.mu.Lock()
	defer n.mu.Unlock()
	last := n.shown
	n.shown = p
	if n.live {
		if n.render() != n.line {
			n.erase()
			n.redraw()
		}
		return
	}
	if p.weight != last.weight && p.phase != "" {
		fmt.Fprintf(n.out, "%scanary weight %d%% (%s)\n", tag("weight"), p.weight, p.phase)
	}
	if p.state != "" && (p.state != last.state || p.description != last.description || p.commit != last.commit) {
		fmt.Fprintf(n.out, "%s%s on %s: %s\n", tag("status"), p.state, short(p.commit), p.description)
	}
}

// done removes the progress line, for the end of the story.
func (n *narrator) done() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.erase()
	n.shown = progress{}
}

// erase removes the progress line from the terminal.
func (n *narrator) erase() {
	if n.line != "" {
		fmt.Fprint(n.out, "\r\033[K")
		n.line = ""
	}
}

// redraw writes the progress line, cut to the terminal's width.
func (n *narrator) redraw() {
	if n.line = n.render(); n.line != "" {
		fmt.Fprint(n.out, n.line)
	}
}

// render returns the progress line, empty when there is none to show.
func (n *narrator) render() string {
	if !n.live || n.shown.phase == "" && n.shown.state == "" {
		return ""
	}
	p := n.shown
	line := fmt.Sprintf("  [%s] %s.%s %s · canary weight %d%%", time.Since(n.start).Round(time.Second), App, Namespace, p.phase, p.weight)
	if p.state != "" {
		line += fmt.Sprintf(" · %s %s: %s", short(p.commit), p.state, p.description)
	}
	if runes := []rune(line); len(runes) > n.width-1 {
		line = string(runes[:n.width-2]) + "…"
	}
	return line
}

// tick redraws the progress line when its clock moved.
func (n *narrator) tick() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.line != "" && n.render() != n.line {
		n.erase()
		n.redraw()
	}
}

// tag begins a line of the narration that comes from source: sluice, the
// gateway, the Canary's weight…
func tag(source string) string { return fmt.Sprintf("  %-10s │ ", source) }

// short is the 7-character form of a commit SHA.
func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// indent prefixes every line of text with prefix.
func indent(text, prefix string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, line := range lines {
		lines[i] = prefix + line
	}
	return strings.Join(lines, "\n")
}
