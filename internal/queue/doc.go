// Package queue is the durable queue behind `stagehand serve`, over River,
// on the database of internal/db (SQLite for one replica, PostgreSQL for
// several).
//
// A webhook handler verifies and parses a delivery, calls Queue.Accept and
// answers 202 only when Accept returned nil: the delivery id, the pending
// rows and River's jobs are then committed in one transaction, so a process
// killed right after the 202 loses nothing. Requests that people make
// through stagehand's own pages and the CLI go in with Submit, and come
// back to the Handler as Request.
//
// What the Handler must allow for:
//   - Jobs run concurrently, several at a time in each process and on every
//     replica. The handler serialises what must be serialised (the engine
//     locks each app and stage it writes to).
//   - Work is at least once: after a crash, or when recording success fails,
//     the same pushes, checks or PR event can be handed over again.
//   - Pushes of one image are handed over together: every push that arrived
//     since the image's last job, one per tag, oldest arrival first, so
//     that the handler picks the newest by its own rules, not by arrival.
//     Checks of one commit coalesce to the newest.
//   - An error with RetryAfter() waits that long without spending an
//     attempt; Permanent(err) gives up at once; any other error is retried
//     after 1s, 2s, 4s … capped at MaxBackoff, and after MaxAttempts the job
//     shows in Failures. A push that arrives while an older job of its image
//     waits to retry gets a job of its own at once.
//   - A Delivery with ConfigChanged wakes every image and commit whose work
//     waits, whatever it waits for (a broken config, mostly), and a Handler
//     that is a ConfigWatcher checks the change.
//
// A job whose worker stopped (its process died, its machine was lost) is
// noticed by its stale lease and run again on another worker within
// seconds (lease.go), not after River's job timeout.
package queue
