package loadgen

import (
	"errors"
	"fmt"
	"strings"
)

// shellOperators are the characters that mean shell syntax when they are
// not quoted: pipes, lists, redirections, subshells and expansions. Glob
// characters are kept as text, as a shell does when no file matches, so
// that a URL's query needs no quotes.
const shellOperators = "|&;<>()$`"

// splitWords splits a command line into words the way a POSIX shell does
// for a simple command: blanks separate words, single quotes keep text as
// it is, double quotes keep it too except for backslash escapes of " \ $ `
// and a backslash outside quotes escapes the next character. There is no
// shell behind it, so anything that would need one (a pipe, a redirection,
// a variable, a command substitution, a comment) is an error rather than text
// passed on.
func splitWords(line string) ([]string, error) {
	var (
		words  []string
		word   strings.Builder
		inWord bool
		runes  = []rune(line)
	)
	for i := 0; i < len(runes); i++ {
		c := runes[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		case c == '\\':
			if i+1 == len(runes) {
				return nil, errors.New("a backslash ends the command")
			}
			i++
			word.WriteRune(runes[i])
			inWord = true
		case c == '\'':
			end := indexRune(runes, i+1, '\'')
			if end < 0 {
				return nil, errors.New("unterminated single quote")
			}
			word.WriteString(string(runes[i+1 : end]))
			i, inWord = end, true
		case c == '"':
			end, err := doubleQuoted(runes, i+1, &word)
			if err != nil {
				return nil, err
			}
			i, inWord = end, true
		case c == '#' && !inWord:
			return nil, errors.New("shell comments are not supported: the load tester runs commands without a shell")
		case strings.ContainsRune(shellOperators, c):
			return nil, fmt.Errorf("shell syntax %q is not supported: the load tester runs commands without a shell", c)
		default:
			word.WriteRune(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
}

// doubleQuoted appends to word the text of the double-quoted string that
// starts at runes[start] and returns the index of its closing quote.
func doubleQuoted(runes []rune, start int, word *strings.Builder) (int, error) {
	for i := start; i < len(runes); i++ {
		switch c := runes[i]; c {
		case '"':
			return i, nil
		case '\\':
			if i+1 < len(runes) && strings.ContainsRune("\"\\$`", runes[i+1]) {
				i++
				word.WriteRune(runes[i])
			} else {
				word.WriteRune(c)
			}
		case '$', '`':
			return 0, fmt.Errorf("shell syntax %q is not supported: the load tester runs commands without a shell", c)
		default:
			word.WriteRune(c)
		}
	}
	return 0, errors.New("unterminated double quote")
}

// indexRune returns the index of the first r in runes from start, or -1.
func indexRune(runes []rune, start int, r rune) int {
	for i := start; i < len(runes); i++ {
		if runes[i] == r {
			return i
		}
	}
	return -1
}
