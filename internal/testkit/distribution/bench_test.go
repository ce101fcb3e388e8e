package distribution

import "testing"

// BenchmarkNew measures starting and closing a registry that notifies.
func BenchmarkNew(b *testing.B) {
	rec := NewRecorder(b)
	for b.Loop() {
		r, err := New(WithEndpoint(rec.URL() + hookPath))
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
