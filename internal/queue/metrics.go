package queue

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Job outcomes, the outcome label of stagehand_jobs_total.
const (
	outcomeOK      = "ok"
	outcomeRetry   = "retry"
	outcomeSnoozed = "snoozed"
	outcomeFailed  = "failed"
)

// metrics are the queue's Prometheus metrics; a nil *metrics records nothing.
type metrics struct {
	jobs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, depth func(context.Context) (int, error)) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stagehand_jobs_total",
			Help: "Jobs worked, by kind and outcome (ok, retry, snoozed, failed).",
		}, []string{"kind", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "stagehand_job_duration_seconds",
			Help:    "Time a job took to work, lock wait included.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 15), // 10ms … ~2.7m
		}, []string{"kind"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "stagehand_job_latency_seconds",
			Help:    "Time from accepting work to its job's first start.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 16), // 5ms … ~2.7m
		}, []string{"kind"}),
	}
	gauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "stagehand_queue_depth",
		Help: "Jobs not yet finished.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n, err := depth(ctx)
		if err != nil {
			return math.NaN()
		}
		return float64(n)
	})
	for _, c := range []prometheus.Collector{m.jobs, m.duration, m.latency, gauge} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("queue metrics (one Queue per Registerer): %w", err)
		}
	}
	return m, nil
}

func (m *metrics) observe(kind, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.duration.WithLabelValues(kind).Observe(took.Seconds())
}

func (m *metrics) started(kind string, waited time.Duration) {
	if m == nil {
		return
	}
	m.latency.WithLabelValues(kind).Observe(max(waited, 0).Seconds())
}
