package alerts

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Payload returns the JSON body that Send posts for m to p: the shape that
// p's service documents for incoming webhooks (see the package
// documentation). m is first fitted within the limits of every service
// (see fit). It refuses an unknown type and an unknown severity; the
// address is not needed and not checked.
func Payload(p Provider, m Message) ([]byte, error) {
	if err := p.validateType(); err != nil {
		return nil, err
	}
	severity, err := ParseSeverity(string(m.Severity))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	m.Severity = severity
	var body bytes.Buffer
	encoder := json.NewEncoder(&body)
	encoder.SetEscapeHTML(false) // the services read JSON, not HTML: keep "<" readable
	if err := encoder.Encode(builders[p.Type](p, fit(m))); err != nil {
		return nil, fmt.Errorf("%s: encode payload: %w", p, err)
	}
	return bytes.TrimSuffix(body.Bytes(), []byte("\n")), nil
}

// The limits a message is fitted within, in bytes, chosen so that every
// body stays below the tightest of the services' documented limits:
// Discord's 6000 characters in an embed (256 for a title, 25 fields of
// 256 and 1024) and Teams' 28 KB for a whole message.
const (
	maxCanaryBytes     = 256
	maxPhaseBytes      = 64
	maxTextBytes       = 2000
	maxFields          = 12
	maxFieldNameBytes  = 64
	maxFieldValueBytes = 200
)

// moreFields is the key of the field that stands for the fields left out.
const moreFields = "…"

// fit returns m within the limits above: text with invalid UTF-8 replaced
// and control characters removed (newlines and tabs kept where a line
// break means something), cut with "…" when too long, and at most
// maxFields fields, the last one saying how many were left out.
func fit(m Message) Message {
	fitted := Message{
		Canary:   clip(oneLine(m.Canary), maxCanaryBytes),
		Severity: m.Severity,
		Text:     clip(printable(m.Text), maxTextBytes),
		Phase:    clip(oneLine(m.Phase), maxPhaseBytes),
	}
	if len(m.Fields) == 0 {
		return fitted
	}
	fitted.Fields = make(map[string]string, min(len(m.Fields), maxFields))
	keys := slices.Sorted(maps.Keys(m.Fields))
	for i, key := range keys {
		if i == maxFields-1 && len(keys) > maxFields {
			fitted.Fields[moreFields] = fmt.Sprintf("%d more fields not shown", len(keys)-i)
			break
		}
		fitted.Fields[clip(oneLine(key), maxFieldNameBytes)] = clip(printable(m.Fields[key]), maxFieldValueBytes)
	}
	return fitted
}

// printable returns s as valid UTF-8 without control characters other
// than newline and tab.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// oneLine is printable with newlines and tabs turned into spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, printable(s))
}

// clip cuts s to at most limit bytes, on a rune boundary, ending with "…"
// when something was cut.
func clip(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// fact is one line of a message's facts: the phase, then the fields in
// the order of their keys.
type fact struct{ name, value string }

// facts lists m's phase and fields for the services that show name/value
// pairs. An empty name or value is "-": Discord and Google Chat refuse
// empty ones.
func facts(m Message) []fact {
	var list []fact
	if m.Phase != "" {
		list = append(list, fact{"Phase", m.Phase})
	}
	for _, key := range slices.Sorted(maps.Keys(m.Fields)) {
		list = append(list, fact{cmp.Or(key, "-"), cmp.Or(m.Fields[key], "-")})
	}
	return list
}

// color is the severity's colour as #rrggbb: Slack's own green, orange
// and red for good, warning and danger attachments.
func (s Severity) color() string {
	switch s {
	case SeverityWarn:
		return "#daa038"
	case SeverityError:
		return "#a30200"
	}
	return "#2eb886"
}

// summary is a one-line plain-text form of m, for notifications.
func summary(m Message) string {
	return clip(oneLine(m.Canary+": "+m.Text), maxTextBytes)
}

// slackMessage is a Slack incoming-webhook message with one legacy
// attachment, the only way to colour a message
// (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks,
// https://docs.slack.dev/legacy/legacy-messaging/legacy-secondary-message-attachments).
// Rocket.Chat reads the same shape.
type slackMessage struct {
	Channel     string            `json:"channel,omitempty"`
	Username    string            `json:"username,omitempty"`
	Attachments []slackAttachment `json:"attachments"`
}

type slackAttachment struct {
	Fallback string       `json:"fallback"`
	Color    string       `json:"color"`
	Title    string       `json:"title"`
	Text     string       `json:"text,omitempty"`
	Fields   []slackField `json:"fields,omitempty"`
}

type slackField struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// slackPayload builds Slack's body, with &, < and > escaped as Slack asks,
// so that a text cannot write a link or an @channel mention.
func slackPayload(p Provider, m Message) any {
	return slackLike(p, m, slackEscaper.Replace)
}

// slackEscaper escapes the three characters Slack reads as markup.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// rocketPayload builds Rocket.Chat's body: its incoming webhooks take
// Slack's shape, username included
// (https://docs.rocket.chat/docs/integrations). Rocket.Chat does not read
// Slack's <…> markup, so nothing is escaped.
func rocketPayload(p Provider, m Message) any {
	return slackLike(p, m, func(s string) string { return s })
}

// slackLike builds the Slack-shaped body, with escape applied to every
// text shown.
func slackLike(p Provider, m Message, escape func(string) string) slackMessage {
	attachment := slackAttachment{
		Fallback: escape(summary(m)),
		Color:    m.Severity.color(),
		Title:    escape(m.Canary),
		Text:     escape(m.Text),
	}
	for _, f := range facts(m) {
		attachment.Fields = append(attachment.Fields, slackField{Title: escape(f.name), Value: escape(f.value), Short: true})
	}
	return slackMessage{Channel: p.Channel, Username: p.Username, Attachments: []slackAttachment{attachment}}
}

// teamsMessage is an Adaptive Card in the message envelope that Teams
// incoming webhooks and the Workflows app's "when a Teams webhook request
// is received" both accept; Workflows, which replaces the retired Office
// 365 connectors, takes no MessageCard
// (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using).
type teamsMessage struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string    `json:"contentType"`
	ContentURL  *string   `json:"contentUrl"`
	Content     teamsCard `json:"content"`
}

type teamsCard struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"`
	Version string         `json:"version"`
	Body    []teamsElement `json:"body"`
	MSTeams map[string]any `json:"msteams"`
}

// teamsElement is a TextBlock or a FactSet.
type teamsElement struct {
	Type   string      `json:"type"`
	Text   string      `json:"text,omitempty"`
	Weight string      `json:"weight,omitempty"`
	Size   string      `json:"size,omitempty"`
	Color  string      `json:"color,omitempty"`
	Wrap   bool        `json:"wrap,omitempty"`
	Facts  []teamsFact `json:"facts,omitempty"`
}

type teamsFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// teamsColors are the Adaptive Card colours of the severities: Teams
// takes named colours only.
var teamsColors = map[Severity]string{SeverityInfo: "Good", SeverityWarn: "Warning", SeverityError: "Attention"}

// teamsPayload builds the Teams body: the Canary as a title coloured by
// severity, the text, and the facts as a FactSet.
func teamsPayload(_ Provider, m Message) any {
	body := []teamsElement{
		{Type: "TextBlock", Text: m.Canary, Weight: "Bolder", Size: "Medium", Color: teamsColors[m.Severity], Wrap: true},
	}
	if m.Text != "" {
		body = append(body, teamsElement{Type: "TextBlock", Text: m.Text, Wrap: true})
	}
	if list := facts(m); len(list) > 0 {
		factSet := teamsElement{Type: "FactSet"}
		for _, f := range list {
			factSet.Facts = append(factSet.Facts, teamsFact{Title: f.name, Value: f.value})
		}
		body = append(body, factSet)
	}
	return teamsMessage{Type: "message", Attachments: []teamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive",
		Content: teamsCard{
			Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
			Body: body, MSTeams: map[string]any{"width": "Full"},
		},
	}}}
}

// discordMessage is Discord's own execute-webhook body with one embed
// (https://discord.com/developers/docs/resources/webhook#execute-webhook),
// posted to the address as given. Flagger instead appends /slack to the
// address and sends Slack's shape; the native body needs no rewriting of
// a URL that may carry a query (?thread_id=…) and lets sluice turn
// mentions off.
type discordMessage struct {
	Username        string                 `json:"username,omitempty"`
	Embeds          []discordEmbed         `json:"embeds"`
	AllowedMentions discordAllowedMentions `json:"allowed_mentions"`
}

type discordEmbed struct {
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	Color       int            `json:"color"`
	Fields      []discordField `json:"fields,omitempty"`
}

type discordField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

// discordAllowedMentions with an empty parse list keeps a text holding
// @everyone from pinging anyone.
type discordAllowedMentions struct {
	Parse []string `json:"parse"`
}

// discordPayload builds the Discord body; the colour is an integer, as
// Discord wants it.
func discordPayload(p Provider, m Message) any {
	embed := discordEmbed{Title: m.Canary, Description: m.Text, Color: hexToInt(m.Severity.color())}
	for _, f := range facts(m) {
		embed.Fields = append(embed.Fields, discordField{Name: f.name, Value: f.value, Inline: true})
	}
	return discordMessage{Username: p.Username, Embeds: []discordEmbed{embed}, AllowedMentions: discordAllowedMentions{Parse: []string{}}}
}

// hexToInt reads "#rrggbb".
func hexToInt(color string) int {
	var n int
	_, _ = fmt.Sscanf(color, "#%06x", &n)
	return n
}

// gchatMessage is a Google Chat message with one card
// (https://developers.google.com/workspace/chat/api/reference/rest/v1/cards)
// and a plain-text fallback for notifications. The texts of a
// textParagraph and a decoratedText are HTML, so what goes there is
// escaped; the header and labels are plain text.
type gchatMessage struct {
	FallbackText string            `json:"fallbackText"`
	CardsV2      []gchatCardWithID `json:"cardsV2"`
}

type gchatCardWithID struct {
	CardID string    `json:"cardId"`
	Card   gchatCard `json:"card"`
}

type gchatCard struct {
	Header   gchatHeader    `json:"header"`
	Sections []gchatSection `json:"sections"`
}

type gchatHeader struct {
	Title    string `json:"title"`
	Subtitle string `json:"subtitle,omitempty"`
}

type gchatSection struct {
	Widgets []gchatWidget `json:"widgets"`
}

// gchatWidget is a textParagraph or a decoratedText.
type gchatWidget struct {
	TextParagraph *gchatText          `json:"textParagraph,omitempty"`
	DecoratedText *gchatDecoratedText `json:"decoratedText,omitempty"`
}

type gchatText struct {
	Text string `json:"text"`
}

type gchatDecoratedText struct {
	TopLabel string `json:"topLabel"`
	Text     string `json:"text"`
}

// gchatPayload builds the Google Chat body: the Canary as the header, the
// phase as its subtitle, the severity in its colour before the text, and
// the fields as labelled lines.
func gchatPayload(_ Provider, m Message) any {
	text := fmt.Sprintf(`<font color="%s"><b>%s</b></font>`, m.Severity.color(), m.Severity)
	if m.Text != "" {
		text += " " + strings.ReplaceAll(html.EscapeString(m.Text), "\n", "<br>")
	}
	widgets := []gchatWidget{{TextParagraph: &gchatText{Text: text}}}
	for _, f := range facts(Message{Fields: m.Fields}) { // the phase is in the header

		widgets = append(widgets, gchatWidget{DecoratedText: &gchatDecoratedText{TopLabel: f.name, Text: html.EscapeString(f.value)}})
	}
	return gchatMessage{
		FallbackText: summary(m),
		CardsV2: []gchatCardWithID{{CardID: "sluice-alert", Card: gchatCard{
			Header:   gchatHeader{Title: m.Canary, Subtitle: m.Phase},
			Sections: []gchatSection{{Widgets: widgets}},
		}}},
	}
}

// genericMessage is sluice's own body for TypeGeneric, documented in the
// package documentation. Every key is always present.
type genericMessage struct {
	Canary   string            `json:"canary"`
	Severity Severity          `json:"severity"`
	Phase    string            `json:"phase"`
	Message  string            `json:"message"`
	Fields   map[string]string `json:"fields"`
}

// genericPayload builds the generic body.
func genericPayload(_ Provider, m Message) any {
	fields := m.Fields
	if fields == nil {
		fields = map[string]string{}
	}
	return genericMessage{Canary: m.Canary, Severity: m.Severity, Phase: m.Phase, Message: m.Text, Fields: fields}
}
