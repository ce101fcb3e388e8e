// Package queue is the durable queue behind `stagehand serve`, over River.
//
// A webhook handler verifies and parses a delivery, calls Queue.Accept and
// answers 202 only when Accept returned nil: the delivery id, the coalescing
// rows and River's jobs are then committed in one transaction, so a process
// killed right after the 202 loses nothing. Workers call the Handler with
// retries.
//
// Databases: SQLite (modernc.org/sqlite, WAL, synchronous=FULL, one
// connection) is the embedded default and suits ONE replica only: handler
// calls are serialised by a lock inside the process. Several replicas need
// PostgreSQL, where a transaction-level advisory lock serialises handler
// calls across all of them.
//
// What the Handler must allow for:
//   - Calls never overlap, across job kinds and replicas; each is bounded by
//     Options.JobTimeout and must honour its context.
//   - Work is at least once: after a crash, or when recording success fails,
//     the same push, checks or PR event can be handed over again.
//   - Pushes of one image and checks of one commit coalesce: the handler sees
//     the newest by arrival, not every one.
//   - An error with RetryAfter() (or a GitHub or registry rate limit) waits
//     that long without spending an attempt; Permanent(err) gives up at once;
//     any other error is retried after 1s, 2s, 4s … up to 5 minutes, and after
//     MaxAttempts the job shows in Failures.
//
// A job whose process died mid-call is retried by River's rescuer about
// 2×JobTimeout+1.5 minutes after it started.
package queue
