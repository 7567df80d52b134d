package loadgen

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    []string
		wantErr bool
	}{
		{name: "blanks separate words", line: " hey  -z 1m\t-c 2 \n", want: []string{"hey", "-z", "1m", "-c", "2"}},
		{name: "single quotes keep everything", line: `curl -H 'Host: a "b" \c' x`, want: []string{"curl", "-H", `Host: a "b" \c`, "x"}},
		{name: "double quotes keep blanks and unescape", line: `curl -H "Host: \"x\" \\ \n"`, want: []string{"curl", "-H", `Host: "x" \ \n`}},
		{name: "quotes join with the text around them", line: `a'b'"c"d`, want: []string{"abcd"}},
		{name: "an empty quoted word is a word", line: `a '' b`, want: []string{"a", "", "b"}},
		{name: "a backslash escapes outside quotes", line: `a\ b\;c`, want: []string{"a b;c"}},
		{name: "glob characters in a URL stay text", line: `curl http://x/p?a=1*`, want: []string{"curl", "http://x/p?a=1*"}},
		{name: "a hash inside a word stays text", line: `curl http://x/#frag`, want: []string{"curl", "http://x/#frag"}},
		{name: "an empty line has no words", line: "  ", want: nil},
		{name: "a pipe needs a shell", line: `curl x | grep y`, wantErr: true},
		{name: "a list needs a shell", line: `curl x && rm y`, wantErr: true},
		{name: "a redirection needs a shell", line: `curl x > out`, wantErr: true},
		{name: "a variable needs a shell", line: `curl $URL`, wantErr: true},
		{name: "a variable in double quotes needs a shell", line: `curl "$URL"`, wantErr: true},
		{name: "a command substitution needs a shell", line: "curl `x`", wantErr: true},
		{name: "a comment needs a shell", line: `curl x #y`, wantErr: true},
		{name: "an unterminated single quote is an error", line: `curl 'x`, wantErr: true},
		{name: "an unterminated double quote is an error", line: `curl "x`, wantErr: true},
		{name: "a trailing backslash is an error", line: `curl x\`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitWords(tt.line)
			if (err != nil) != tt.wantErr {
				t.Fatalf("splitWords(%q) error = %v, want error %v", tt.line, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("splitWords(%q) (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}
