package synth

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"
)

// peakHeap samples live heap bytes every millisecond until stop is called
// and returns the maximum seen.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// BenchmarkGenerate reports generation time and the peak live heap
// (peak-heap-MiB) while generating.
func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{10000, 1000000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			var peak uint64
			for b.Loop() {
				runtime.GC()
				stop := peakHeap()
				r, err := Generate(Config{Seed: 1, N: n, Kommuner: []string{"0301"}})
				peak = max(peak, stop())
				if err != nil || r.Len() != n {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// BenchmarkPerson measures one full-document lookup in a population of
// one million.
func BenchmarkPerson(b *testing.B) {
	r, err := Generate(Config{Seed: 1, N: 1000000, Kommuner: []string{"0301"}})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 4096)
	for i := range ids {
		ids[i] = r.persons[(i*7919)%r.Len()].ident()
	}
	for _, c := range []struct {
		name  string
		parts []string
	}{{"person-basis", nil}, {"all-with-historikk", full}} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := r.Person(ctx, ids[i%len(ids)], c.parts); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
