package metrics_test

import (
	"strings"
	"testing"

	"folkevakt/gateway/metrics"
)

func TestExposition(t *testing.T) {
	r := metrics.NewRegistry()
	c := r.Counter("x_total", "Things.\nCounted.", "route", "status")
	c.Inc("/a/:id", "200")
	c.Add(2, "/a/:id", "200")
	c.Inc(`q"\`, "500")
	h := r.Histogram("d_seconds", "Durations.", []float64{0.1, 1})
	h.Observe(0.05)
	h.Observe(0.5)
	h.Observe(3)
	var b strings.Builder
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want := `# HELP x_total Things.\nCounted.
# TYPE x_total counter
x_total{route="/a/:id",status="200"} 3
x_total{route="q\"\\",status="500"} 1
# HELP d_seconds Durations.
# TYPE d_seconds histogram
d_seconds_bucket{le="0.1"} 1
d_seconds_bucket{le="1"} 2
d_seconds_bucket{le="+Inf"} 3
d_seconds_sum 3.55
d_seconds_count 3
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
