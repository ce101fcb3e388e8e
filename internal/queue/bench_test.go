package queue

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
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
