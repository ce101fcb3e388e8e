package queue

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAccept measures durable accepts per second: one delivery with one
// push (of ten images, so most coalesce) per op, one transaction each.
func BenchmarkAccept(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			d := openDB(b, be.fresh(b))
			defer d.Close()
			q, err := New(d, &fakeHandler{}, Options{ReconcileInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			for i := 0; b.Loop(); i++ {
				d := Delivery{ID: fmt.Sprintf("bench-%d", i), Source: "dockerhub",
					Pushes: []Push{{Image: fmt.Sprintf("ghcr.io/acme/app-%d", i%10), Tag: fmt.Sprint(i)}}}
				if _, err := q.Accept(ctx, d); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "accepts/s")
		})
	}
}

// BenchmarkAcceptParallel: accepts from 8, 32 and 64 concurrent senders,
// as webhook requests make them; group commit lets them share syncs.
func BenchmarkAcceptParallel(b *testing.B) {
	for _, be := range backends {
		for _, senders := range []int{8, 32, 64} {
			b.Run(fmt.Sprintf("%s/senders=%d", be.name, senders), func(b *testing.B) {
				d := openDB(b, be.fresh(b))
				defer d.Close()
				q, err := New(d, &fakeHandler{}, Options{ReconcileInterval: -1})
				if err != nil {
					b.Fatal(err)
				}
				var n atomic.Int64
				b.SetParallelism(max(1, senders/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := n.Add(1)
						d := Delivery{ID: fmt.Sprintf("bench-%d", i), Source: "dockerhub",
							Pushes: []Push{{Image: fmt.Sprintf("ghcr.io/acme/app-%d", i%10), Tag: fmt.Sprint(i)}}}
						if _, err := q.Accept(context.Background(), d); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "accepts/s")
			})
		}
	}
}

// BenchmarkPickup: from Accept's return to the handler's call, one push at
// a time: how long accepted work waits for a worker.
func BenchmarkPickup(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			called := make(chan time.Time, 1)
			h := &fakeHandler{pushes: func(context.Context, []Push, int) error {
				called <- time.Now()
				return nil
			}}
			log, _ := newLogger()
			_, q := startQueue(b, be.fresh(b), h, Options{ReconcileInterval: -1, Logger: log})
			var waits []time.Duration
			for i := 0; b.Loop(); i++ {
				d := Delivery{ID: fmt.Sprintf("pickup-%d", i), Source: "generic",
					Pushes: []Push{{Image: fmt.Sprintf("ghcr.io/acme/app-%d", i%10), Tag: fmt.Sprint(i)}}}
				if _, err := q.Accept(context.Background(), d); err != nil {
					b.Fatal(err)
				}
				accepted := time.Now()
				waits = append(waits, (<-called).Sub(accepted))
			}
			slices.Sort(waits)
			b.ReportMetric(float64(waits[len(waits)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
