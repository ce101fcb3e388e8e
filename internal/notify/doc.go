// Package notify sends stagehand's outgoing webhooks: an event for each
// promotion PR opened or updated, merge, refusal, hold, release and
// rollback, to the receivers a config repository names in .stagehand.yaml
// (notify:) and to one the server names (STAGEHAND_NOTIFY_URL).
//
// Events come from one place: the promotion engine hands each outcome's
// events to a Notifier (promote.Notifier), which picks the receivers that
// take them and queues one delivery each. Deliveries run from the queue as
// jobs of their own, on a queue of their own, with retries and backoff: a
// slow or dead receiver never delays a promotion, and a delivery that fails
// for good is logged and counted, never undoes the promotion.
//
// Two formats: FormatJSON, a documented, versioned event (Event, version
// SchemaVersion) signed with HMAC-SHA256 of the body in
// X-Stagehand-Signature-256 (GitHub's X-Hub-Signature-256 convention), and
// FormatSlack, the body of a Slack incoming webhook (text and blocks: one
// readable line). Every delivery carries X-Stagehand-Event-Id, the same
// on every retry, for receivers to drop duplicates.
//
// Secrets never go into the config repository or the queue: a receiver's
// URL (a Slack webhook URL is a secret) and signing key are named as
// environment variables of the server (url_env, secret_env), read when a
// delivery is made.
package notify
