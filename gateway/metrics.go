package gateway

import (
	"strconv"
	"time"

	"folkevakt/gateway/metrics"
)

// serverMetrics are the gateway's Prometheus series. Labels carry route
// templates, statuses and reason codes only, never request data.
type serverMetrics struct {
	reg              *metrics.Registry
	requests         *metrics.CounterVec
	latency          *metrics.HistogramVec
	decisions        *metrics.CounterVec
	upstreamErrors   *metrics.CounterVec
	upstreamDuration *metrics.HistogramVec
	auditBatchSize   *metrics.HistogramVec
	auditCommit      *metrics.HistogramVec
	auditBatchErrors *metrics.CounterVec
	auditFailures    *metrics.CounterVec
	unattributed     *metrics.CounterVec
	feedUnknown      *metrics.CounterVec
}

var latencyBuckets = []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

func newServerMetrics() *serverMetrics {
	r := metrics.NewRegistry()
	return &serverMetrics{
		reg:              r,
		requests:         r.Counter("folkevakt_http_requests_total", "HTTP requests by method, route template and status.", "method", "route", "status"),
		latency:          r.Histogram("folkevakt_http_request_duration_seconds", "Time to answer a request, by route template.", latencyBuckets, "route"),
		decisions:        r.Counter("folkevakt_gateway_decisions_total", "Gateway requests by decision (allow, deny) and reason (ok or an errorCode).", "decision", "reason"),
		upstreamErrors:   r.Counter("folkevakt_upstream_errors_total", "Failed Folkeregister calls by kind (failure, timeout, throttled, forbidden, invalid).", "kind"),
		upstreamDuration: r.Histogram("folkevakt_upstream_request_duration_seconds", "Duration of Folkeregister calls by operation.", latencyBuckets, "operation"),
		auditBatchSize:   r.Histogram("folkevakt_audit_batch_size", "Audit records per group-committed transaction.", []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}),
		auditCommit:      r.Histogram("folkevakt_audit_commit_duration_seconds", "Duration of one audit transaction.", latencyBuckets),
		auditBatchErrors: r.Counter("folkevakt_audit_batch_errors_total", "Audit transactions that failed."),
		auditFailures:    r.Counter("folkevakt_audit_write_failures_total", "Requests refused with 503 because their audit record could not be written."),
		unattributed:     r.Counter("folkevakt_gateway_unattributed_requests_total", "Refused requests whose organisation could not be determined (not audited), by reason.", "reason"),
		feedUnknown:      r.Counter("folkevakt_feed_unknown_hendelsetype_total", "Feed items dropped because their hendelsetype is unknown to the gateway."),
	}
}

func (m *serverMetrics) request(method, route string, status int, d time.Duration) {
	m.requests.Inc(method, route, strconv.Itoa(status))
	m.latency.Observe(d.Seconds(), route)
}

func (m *serverMetrics) auditBatch(n int, d time.Duration, err error) {
	m.auditBatchSize.Observe(float64(n))
	m.auditCommit.Observe(d.Seconds())
	if err != nil {
		m.auditBatchErrors.Inc()
	}
}
