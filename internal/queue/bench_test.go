package queue

import (
	"context"
	"fmt"
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

// BenchmarkAcceptParallel: accepts from concurrent webhook requests.
func BenchmarkAcceptParallel(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			d := openDB(b, be.fresh(b))
			defer d.Close()
			q, err := New(d, &fakeHandler{}, Options{ReconcileInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			b.SetParallelism(4)
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
