package server

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	deliveries    *prometheus.CounterVec
	acceptLatency prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stagehand_deliveries_total",
			Help: "Webhook deliveries by source (github or a registry vendor) and outcome.",
		}, []string{"source", "outcome"}),
		acceptLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "stagehand_delivery_accept_seconds",
			Help:    "Time from receiving a delivery to answering 202 with the work durably queued.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
	}
	for _, c := range []prometheus.Collector{m.deliveries, m.acceptLatency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) delivery(source, outcome string) {
	m.deliveries.WithLabelValues(source, outcome).Inc()
}
