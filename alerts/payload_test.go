package alerts

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/quick"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// failedCanary is the message the tests send: a failed rollout with two
// fields given out of order.
var failedCanary = Message{
	Canary:   "detail.flagger",
	Severity: SeverityError,
	Text:     "Canary failed! Scaling down detail.flagger",
	Phase:    "Failed",
	Fields:   map[string]string{"target": "Deployment/detail", "revision": "2c1f9a0"},
}

// onCall is the provider the tests send to, but for the type.
func onCall(providerType string) Provider {
	return Provider{Name: "on-call", Namespace: "flagger", Type: providerType, Address: tokenAddress, Channel: "on-call-alerts", Username: "sluice"}
}

var allTypes = []string{TypeSlack, TypeMSTeams, TypeDiscord, TypeRocket, TypeGChat, TypeGeneric}

func TestPayloadMatchesTheGoldenFiles(t *testing.T) {
	for _, providerType := range allTypes {
		t.Run(providerType, func(t *testing.T) {
			body, err := Payload(onCall(providerType), failedCanary)
			if err != nil {
				t.Fatal(err)
			}
			var indented bytes.Buffer
			if err := json.Indent(&indented, body, "", "  "); err != nil {
				t.Fatalf("the payload is not JSON: %v\n%s", err, body)
			}
			indented.WriteString("\n")
			golden := filepath.Join("testdata", providerType+".json")
			if *update {
				if err := os.WriteFile(golden, indented.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./alerts/ -update to write it)", err)
			}
			if diff := cmp.Diff(string(want), indented.String()); diff != "" {
				t.Errorf("payload differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// colorOf reads the colour from a decoded payload, where each service
// documents it.
func colorOf(t *testing.T, providerType string, body []byte) any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	at := func(v any, path ...any) any {
		for _, step := range path {
			switch step := step.(type) {
			case string:
				v = v.(map[string]any)[step]
			case int:
				v = v.([]any)[step]
			}
		}
		return v
	}
	switch providerType {
	case TypeSlack, TypeRocket:
		return at(doc, "attachments", 0, "color")
	case TypeMSTeams:
		return at(doc, "attachments", 0, "content", "body", 0, "color")
	case TypeDiscord:
		return at(doc, "embeds", 0, "color")
	case TypeGChat:
		text := at(doc, "cardsV2", 0, "card", "sections", 0, "widgets", 0, "textParagraph", "text").(string)
		color, _, _ := strings.Cut(strings.TrimPrefix(text, `<font color="`), `"`)
		return color
	case TypeGeneric:
		return at(doc, "severity")
	}
	t.Fatalf("no colour for %s", providerType)
	return nil
}

func TestPayloadColoursBySeverity(t *testing.T) {
	tests := []struct {
		severity Severity
		want     map[string]any
	}{
		{severity: SeverityInfo, want: map[string]any{
			TypeSlack: "#2eb886", TypeRocket: "#2eb886", TypeMSTeams: "Good", TypeDiscord: float64(0x2eb886), TypeGChat: "#2eb886", TypeGeneric: "info",
		}},
		{severity: "", want: map[string]any{
			TypeSlack: "#2eb886", TypeRocket: "#2eb886", TypeMSTeams: "Good", TypeDiscord: float64(0x2eb886), TypeGChat: "#2eb886", TypeGeneric: "info",
		}},
		{severity: SeverityWarn, want: map[string]any{
			TypeSlack: "#daa038", TypeRocket: "#daa038", TypeMSTeams: "Warning", TypeDiscord: float64(0xdaa038), TypeGChat: "#daa038", TypeGeneric: "warn",
		}},
		{severity: SeverityError, want: map[string]any{
			TypeSlack: "#a30200", TypeRocket: "#a30200", TypeMSTeams: "Attention", TypeDiscord: float64(0xa30200), TypeGChat: "#a30200", TypeGeneric: "error",
		}},
	}
	for _, tt := range tests {
		for _, providerType := range allTypes {
			t.Run(fmt.Sprintf("%s in %s", cmpOrInfo(tt.severity), providerType), func(t *testing.T) {
				m := failedCanary
				m.Severity = tt.severity
				body, err := Payload(onCall(providerType), m)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want[providerType], colorOf(t, providerType, body)); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	}
}

func cmpOrInfo(s Severity) string {
	if s == "" {
		return "no severity"
	}
	return string(s)
}

func TestPayloadRefuses(t *testing.T) {
	tests := []struct {
		name     string
		provider Provider
		message  Message
		wantErr  string
	}{
		{name: "an unknown type", provider: onCall("hipchat"), message: failedCanary, wantErr: `alert provider flagger/on-call: unknown type "hipchat": want one of`},
		{name: "an unknown severity", provider: onCall(TypeSlack), message: Message{Canary: "detail.flagger", Severity: "critical"}, wantErr: `slack provider flagger/on-call: severity "critical": want info, warn or error`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := Payload(tt.provider, tt.message)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("Payload() = %s, %v; want an error starting %q", body, err, tt.wantErr)
			}
		})
	}
}

func TestFit(t *testing.T) {
	manyFields := map[string]string{}
	for i := range 30 {
		manyFields[fmt.Sprintf("field%02d", i)] = "v"
	}
	tests := []struct {
		name    string
		message Message
		want    Message
	}{
		{
			name:    "a message within the limits is kept as it is",
			message: failedCanary,
			want:    failedCanary,
		},
		{
			name:    "a long text is cut to 2000 bytes ending with an ellipsis",
			message: Message{Text: strings.Repeat("a", 5000)},
			want:    Message{Text: strings.Repeat("a", 1997) + "…"},
		},
		{
			name:    "a text is cut on a rune boundary",
			message: Message{Text: strings.Repeat("é", 1500)},
			want:    Message{Text: strings.Repeat("é", 998) + "…"},
		},
		{
			name:    "control characters are removed, newlines and tabs kept in the text",
			message: Message{Text: "line one\nline\ttwo\x00\x1b[31m\r"},
			want:    Message{Text: "line one\nline\ttwo[31m"},
		},
		{
			name:    "a canary, phase and field name are made one line",
			message: Message{Canary: "detail\n.flagger", Phase: "Fai\tled", Fields: map[string]string{"a\nb": "c\nd"}},
			want:    Message{Canary: "detail .flagger", Phase: "Fai led", Fields: map[string]string{"a b": "c\nd"}},
		},
		{
			name:    "invalid UTF-8 is replaced",
			message: Message{Text: "bad \xff\xfe byte"},
			want:    Message{Text: "bad \uFFFD byte"},
		},
		{
			name:    "more than 12 fields: the first 11 by key, then how many were left out",
			message: Message{Fields: manyFields},
			want: Message{Fields: map[string]string{
				"field00": "v", "field01": "v", "field02": "v", "field03": "v", "field04": "v", "field05": "v",
				"field06": "v", "field07": "v", "field08": "v", "field09": "v", "field10": "v",
				"…": "19 more fields not shown",
			}},
		},
		{
			name:    "long field names and values are cut",
			message: Message{Fields: map[string]string{strings.Repeat("k", 100): strings.Repeat("v", 300)}},
			want:    Message{Fields: map[string]string{strings.Repeat("k", 61) + "…": strings.Repeat("v", 197) + "…"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, fit(tt.message)); diff != "" {
				t.Errorf("fit() (-want +got):\n%s", diff)
			}
		})
	}
}

// hostile is a message made to break a payload: huge, full of markup,
// mentions, control characters, invalid UTF-8 and many fields.
func hostile() Message {
	fields := map[string]string{}
	for i := range 500 {
		fields[fmt.Sprintf("%03d%s", i, strings.Repeat("<&>", 50))] = strings.Repeat("\"\\<!channel>@everyone\x00", 100)
	}
	return Message{
		Canary:   strings.Repeat("<!here>", 500),
		Severity: SeverityError,
		Text:     strings.Repeat("<!channel> @everyone <users/all> \"quoted\" \\ \x07\xff ", 10000),
		Phase:    strings.Repeat("P\n", 1000),
		Fields:   fields,
	}
}

func TestPayloadOfAHostileMessageStaysWithinTheServicesLimits(t *testing.T) {
	tests := []struct {
		providerType string
		maxBytes     int // the service's limit on a whole body, or a sane bound
	}{
		{providerType: TypeSlack, maxBytes: 40_000},
		{providerType: TypeRocket, maxBytes: 28_000},
		{providerType: TypeMSTeams, maxBytes: 28_000},
		{providerType: TypeDiscord, maxBytes: 28_000},
		{providerType: TypeGChat, maxBytes: 32_000},
		{providerType: TypeGeneric, maxBytes: 28_000},
	}
	for _, tt := range tests {
		t.Run(tt.providerType+" stays under "+fmt.Sprint(tt.maxBytes)+" bytes", func(t *testing.T) {
			body, err := Payload(onCall(tt.providerType), hostile())
			if err != nil {
				t.Fatal(err)
			}
			if len(body) > tt.maxBytes {
				t.Errorf("payload is %d bytes, want at most %d", len(body), tt.maxBytes)
			}
			if !json.Valid(body) || !utf8.Valid(body) {
				t.Errorf("payload is not valid UTF-8 JSON")
			}
		})
	}
}

func TestSlackPayloadEscapesMarkup(t *testing.T) {
	m := Message{Canary: "a<b>.c", Text: "<!channel> see <https://evil.example|here> & more", Fields: map[string]string{"<k>": "<v>"}}
	body, err := Payload(onCall(TypeSlack), m)
	if err != nil {
		t.Fatal(err)
	}
	var got slackMessage
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	attachment := got.Attachments[0]
	want := []string{
		"a&lt;b&gt;.c",
		"&lt;!channel&gt; see &lt;https://evil.example|here&gt; &amp; more",
		"&lt;k&gt;", "&lt;v&gt;",
		"a&lt;b&gt;.c: &lt;!channel&gt; see &lt;https://evil.example|here&gt; &amp; more",
	}
	gotTexts := []string{attachment.Title, attachment.Text, attachment.Fields[0].Title, attachment.Fields[0].Value, attachment.Fallback}
	if diff := cmp.Diff(want, gotTexts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDiscordPayloadTurnsMentionsOff(t *testing.T) {
	body, err := Payload(onCall(TypeDiscord), Message{Canary: "detail.flagger", Text: "@everyone look"})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		AllowedMentions *struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	// Discord reads a missing allowed_mentions, or a null parse, as "parse
	// every mention in the text": only an empty list turns them off.
	if got.AllowedMentions == nil || got.AllowedMentions.Parse == nil || len(got.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed_mentions = %s, want {\"parse\": []}", body)
	}
}

func TestGChatPayloadEscapesHTML(t *testing.T) {
	body, err := Payload(onCall(TypeGChat), Message{Canary: "detail.flagger", Text: `<a href="https://evil.example">x</a>` + "\nnext", Fields: map[string]string{"k": "<b>v</b>"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`&lt;a href=&#34;https://evil.example&#34;&gt;x&lt;/a&gt;<br>next`,
		`"text":"&lt;b&gt;v&lt;/b&gt;"`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("payload %s\ndoes not hold %s", body, want)
		}
	}
}

// randomMessage generates messages for testing/quick: any strings, any
// fields, any severity of the three.
type randomMessage struct{ Message }

func (randomMessage) Generate(r *rand.Rand, size int) reflect.Value {
	str := func() string {
		v, _ := quick.Value(reflect.TypeFor[string](), r)
		return strings.Repeat(v.String(), r.Intn(200))
	}
	m := Message{Canary: str(), Text: str(), Phase: str(), Severity: []Severity{SeverityInfo, SeverityWarn, SeverityError, ""}[r.Intn(4)]}
	if r.Intn(2) == 0 {
		m.Fields = map[string]string{}
		for range r.Intn(40) {
			m.Fields[str()] = str()
		}
	}
	return reflect.ValueOf(randomMessage{m})
}

func TestPayloadIsBoundedJSONForAnyMessage(t *testing.T) {
	for _, providerType := range allTypes {
		t.Run(providerType, func(t *testing.T) {
			property := func(m randomMessage) bool {
				body, err := Payload(onCall(providerType), m.Message)
				return err == nil && json.Valid(body) && utf8.Valid(body) && len(body) < 40_000
			}
			if err := quick.Check(property, &quick.Config{MaxCount: 200}); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestDiscordPayloadOfAHostileMessageKeepsWithinEmbedLimits(t *testing.T) {
	body, err := Payload(onCall(TypeDiscord), hostile())
	if err != nil {
		t.Fatal(err)
	}
	var got discordMessage
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	embed := got.Embeds[0]
	count := utf8.RuneCountInString
	total := count(embed.Title) + count(embed.Description)
	for _, f := range embed.Fields {
		total += count(f.Name) + count(f.Value)
		if count(f.Name) > 256 || count(f.Value) > 1024 || f.Name == "" || f.Value == "" {
			t.Errorf("field %q: %q is outside Discord's limits (1-256, 1-1024 characters)", f.Name, f.Value)
		}
	}
	// Discord's documented limits on an embed.
	if count(embed.Title) > 256 || count(embed.Description) > 4096 || len(embed.Fields) > 25 || total > 6000 {
		t.Errorf("embed has a %d-character title, %d-character description, %d fields, %d characters in all; want at most 256, 4096, 25, 6000",
			count(embed.Title), count(embed.Description), len(embed.Fields), total)
	}
}
