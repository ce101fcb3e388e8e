package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stagehand-dev/stagehand/internal/notify"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
)

// notifyFlags are the server-wide receiver of outgoing webhooks; a config
// repository names its own in .stagehand.yaml (notify:).
type notifyFlags struct {
	url, format, secret, events string
}

func (n *notifyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.url, "notify-url", env(notify.EnvURL, ""), "send every promotion event to this http(s) URL, besides the receivers .stagehand.yaml names ("+notify.EnvURL+")")
	fs.StringVar(&n.format, "notify-format", env(notify.EnvFormat, "json"), "json (signed, versioned events) or slack (an incoming webhook's body) ("+notify.EnvFormat+")")
	fs.StringVar(&n.secret, "notify-secret", env(notify.EnvSecret, ""), "key the events are signed with (X-Stagehand-Signature-256); required for json ("+notify.EnvSecret+")")
	fs.StringVar(&n.events, "notify-events", env(notify.EnvEvents, ""), "comma-separated events to send; empty for all: opened, merged, refused, held, released, rolled-back, verify-failed ("+notify.EnvEvents+")")
}

func (n *notifyFlags) server() (*notify.Server, error) {
	return notify.ParseServer(n.url, n.format, n.secret, n.events)
}

// laterQueue is the queue once it is built: the notifier is handed to the
// engine, which the queue's handler needs, before the queue exists.
type laterQueue struct{ q atomic.Pointer[queue.Queue] }

func (l *laterQueue) Notify(ctx context.Context, ns []queue.Notification) error {
	q := l.q.Load()
	if q == nil {
		return errors.New("the queue is not up yet")
	}
	return q.Notify(ctx, ns)
}

// notifier sends the events of the config repository to the server-wide
// receiver and to those its configuration names, read from the config
// the engine read last.
func (f *serveFlags) notifier(engine func() *promote.Engine, repo string, q notify.Queue, reg prometheus.Registerer, log *slog.Logger) (*notify.Notifier, error) {
	server, err := f.notify.server()
	if err != nil {
		return nil, err
	}
	web, err := githubWebURL(f.github.apiURL, f.webURL)
	if err != nil {
		return nil, err
	}
	return notify.New(notify.Options{Repo: repo, WebURL: web, Server: server, Queue: q, Registerer: reg, Logger: log,
		Targets: func() []notify.Target {
			if e := engine(); e != nil {
				if cfg := e.LastConfig(); cfg != nil {
					return cfg.Notify
				}
			}
			return nil
		}})
}
