// Package alerts posts Canary alerts to chat services through their
// incoming webhooks, as Flagger's AlertProvider does.
//
// A Canary lists its alerts in analysis.alerts, each with a severity
// (info, warn or error) and a providerRef naming an AlertProvider. The
// caller resolves the AlertProvider into a [Provider] (its secretRef read),
// picks the alerts whose severity admits a message ([Severity.Admits]:
// an info alert receives everything, an error alert only errors) and
// calls [Sender.Send] for each. [Payload] renders the body without sending
// it.
//
// # Payloads
//
// Each type gets the shape its service documents for incoming webhooks.
// The message is first fitted within every service's limits: at most 2000
// bytes of text, 12 fields of 64-byte names and 200-byte values (the last
// one counting those left out), control characters removed and invalid
// UTF-8 replaced. Colours follow the severity: green (#2eb886) for info,
// orange (#daa038) for warn, red (#a30200) for error.
//
//   - slack: {"channel", "username", "attachments": [{"fallback", "color",
//     "title", "text", "fields": [{"title", "value", "short"}]}]}, one
//     legacy attachment, the only way Slack colours a message; channel and
//     username are left out when empty. &, < and > are escaped as Slack
//     asks, so that no text writes a link or a mention.
//   - rocket: the same Slack-compatible shape, which Rocket.Chat's
//     incoming webhooks read; nothing escaped.
//   - msteams: {"type": "message", "attachments": [{"contentType":
//     "application/vnd.microsoft.card.adaptive", "content": <Adaptive Card
//     1.4>}]}: a title TextBlock coloured Good, Warning or Attention, the
//     text, and a FactSet. Both the Workflows app's Teams webhooks and the
//     older incoming webhooks accept it; Workflows takes no MessageCard.
//   - discord: Discord's own execute-webhook body, {"username", "embeds":
//     [{"title", "description", "color", "fields": [{"name", "value",
//     "inline"}]}], "allowed_mentions": {"parse": []}}, posted to the
//     address as given. (Flagger appends /slack and sends Slack's shape;
//     the same webhook URL works with both.) Mentions are turned off.
//   - gchat: {"fallbackText", "cardsV2": [{"cardId", "card": {"header":
//     {"title", "subtitle"}, "sections": [{"widgets": [...]}]}}]}: the
//     Canary and phase as the header, the severity in its colour before
//     the HTML-escaped text in a textParagraph, a decoratedText per field.
//
// In every chat shape the Canary is the title and the phase comes first
// among the facts, then the fields in the order of their keys. Teams,
// Google Chat and Discord bind a webhook to its channel and ignore
// Provider.Channel; Teams and Google Chat also ignore Provider.Username.
//
// The generic type posts sluice's own body, every key always present:
//
//	{
//	  "canary": "detail.flagger",
//	  "severity": "error",
//	  "phase": "Failed",
//	  "message": "Canary failed! Scaling down detail.flagger",
//	  "fields": {"revision": "2c1f9a0"}
//	}
//
// # Sending
//
// Send validates the provider, posts the payload with Content-Type
// application/json, and succeeds on a 2xx answer; it tries once. It is
// bounded by SenderOptions.Timeout, follows redirects only within the
// webhook's host and scheme, reads at most 4 KiB of the answer and never
// shows it. A provider's Proxy is used when set; the environment's proxy
// settings never are, so that SenderOptions.DialContext sees every
// connection made.
//
// The address and the proxy are secrets, since a webhook URL carries its
// token: they appear in no error, nor in a Provider's String, GoString or
// JSON encoding.
package alerts
