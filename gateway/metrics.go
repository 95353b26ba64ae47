package gateway

import (
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// serverMetrics are the gateway's Prometheus series, in a registry of their
// own (not the global one) so that every Server, also in tests, counts
// alone. Labels carry route templates, statuses, reason codes and SCIM
// resource types only, never request data.
type serverMetrics struct {
	reg              *prometheus.Registry
	requests         *prometheus.CounterVec
	latency          *prometheus.HistogramVec
	decisions        *prometheus.CounterVec
	upstreamErrors   *prometheus.CounterVec
	upstreamDuration *prometheus.HistogramVec
	auditBatchSize   prometheus.Histogram
	auditCommit      prometheus.Histogram
	auditBatchErrors prometheus.Counter
	auditFailures    prometheus.Counter
	unattributed     *prometheus.CounterVec
	feedUnknown      prometheus.Counter
	scimRequests     *prometheus.CounterVec
	scimLatency      *prometheus.HistogramVec
}

var latencyBuckets = []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// upstreamErrorKinds are the values of folkevakt_upstream_errors_total's
// kind label, exposed at zero from the start so that alerts on their rate
// work before the first error.
var upstreamErrorKinds = []string{"failure", "timeout", "throttled", "forbidden", "invalid"}

func newServerMetrics(version string) *serverMetrics {
	r := prometheus.NewRegistry()
	f := promauto.With(r)
	m := &serverMetrics{
		reg: r,
		requests: f.NewCounterVec(prometheus.CounterOpts{Name: "folkevakt_http_requests_total", Help: "HTTP requests by method, route template and status."},
			[]string{"method", "route", "status"}),
		latency: f.NewHistogramVec(prometheus.HistogramOpts{Name: "folkevakt_http_request_duration_seconds", Help: "Time to answer a request, by route template.", Buckets: latencyBuckets},
			[]string{"route"}),
		decisions: f.NewCounterVec(prometheus.CounterOpts{Name: "folkevakt_gateway_decisions_total", Help: "Gateway requests by decision (allow, deny) and reason (ok or an errorCode)."},
			[]string{"decision", "reason"}),
		upstreamErrors: f.NewCounterVec(prometheus.CounterOpts{Name: "folkevakt_upstream_errors_total", Help: "Failed Folkeregister calls by kind (failure, timeout, throttled, forbidden, invalid)."},
			[]string{"kind"}),
		upstreamDuration: f.NewHistogramVec(prometheus.HistogramOpts{Name: "folkevakt_upstream_request_duration_seconds", Help: "Duration of Folkeregister calls by operation.", Buckets: latencyBuckets},
			[]string{"operation"}),
		auditBatchSize:   f.NewHistogram(prometheus.HistogramOpts{Name: "folkevakt_audit_batch_size", Help: "Audit records per group-committed transaction.", Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}}),
		auditCommit:      f.NewHistogram(prometheus.HistogramOpts{Name: "folkevakt_audit_commit_duration_seconds", Help: "Duration of one audit transaction.", Buckets: latencyBuckets}),
		auditBatchErrors: f.NewCounter(prometheus.CounterOpts{Name: "folkevakt_audit_batch_errors_total", Help: "Audit transactions that failed."}),
		auditFailures:    f.NewCounter(prometheus.CounterOpts{Name: "folkevakt_audit_write_failures_total", Help: "Requests refused with 503 because their audit record could not be written."}),
		unattributed: f.NewCounterVec(prometheus.CounterOpts{Name: "folkevakt_gateway_unattributed_requests_total", Help: "Refused requests whose organisation could not be determined (not audited), by reason."},
			[]string{"reason"}),
		feedUnknown: f.NewCounter(prometheus.CounterOpts{Name: "folkevakt_feed_unknown_hendelsetype_total", Help: "Feed items dropped because their hendelsetype is unknown to the gateway."}),
		scimRequests: f.NewCounterVec(prometheus.CounterOpts{Name: "folkevakt_scim_requests_total", Help: "SCIM requests by method, resource type (Users, Groups, …) and status."},
			[]string{"method", "resource", "status"}),
		scimLatency: f.NewHistogramVec(prometheus.HistogramOpts{Name: "folkevakt_scim_request_duration_seconds", Help: "Time to answer a SCIM request, by resource type.", Buckets: latencyBuckets},
			[]string{"resource"}),
	}
	for _, k := range upstreamErrorKinds {
		m.upstreamErrors.WithLabelValues(k)
	}
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
		buildInfo(version),
	)
	return m
}

// buildInfo is folkevakt_build_info: a constant 1 whose labels say which
// binary answers (version from the build, VCS revision, Go version).
func buildInfo(version string) prometheus.Collector {
	if version == "" {
		version = "dev"
	}
	revision := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "folkevakt_build_info",
		Help:        "Always 1; the labels name the running build.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}

// handler serves the registry in the Prometheus text (or, when asked,
// OpenMetrics) format.
func (m *serverMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *serverMetrics) request(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

func (m *serverMetrics) auditBatch(n int, d time.Duration, err error) {
	m.auditBatchSize.Observe(float64(n))
	m.auditCommit.Observe(d.Seconds())
	if err != nil {
		m.auditBatchErrors.Inc()
	}
}

// scim counts SCIM requests by resource type. The path below /v2 carries
// resource ids (and a filter may carry names), so only the first segment,
// checked against the resource types SCIM defines, becomes a label.
func (m *serverMetrics) scim(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		res := scimResource(r.URL.Path)
		m.scimRequests.WithLabelValues(r.Method, res, strconv.Itoa(sw.status)).Inc()
		m.scimLatency.WithLabelValues(res).Observe(time.Since(start).Seconds())
	})
}

var scimResources = []string{"Users", "Groups", "ServiceProviderConfig", "ResourceTypes", "Schemas", "Bulk", "Me"}

// scimResource maps a SCIM path (after the /scim prefix) to its resource
// type, or "other".
func scimResource(path string) string {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return "other"
	}
	first, _, _ := strings.Cut(rest, "/")
	for _, r := range scimResources {
		if strings.EqualFold(first, r) {
			return r
		}
	}
	return "other"
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// serverMetrics is the access service's Observer.
func (m *serverMetrics) Upstream(op string, took time.Duration, kind string) {
	m.upstreamDuration.WithLabelValues(op).Observe(took.Seconds())
	if kind != "" {
		m.upstreamErrors.WithLabelValues(kind).Inc()
	}
}
func (m *serverMetrics) Decision(decision, reason string) {
	m.decisions.WithLabelValues(decision, reason).Inc()
}
func (m *serverMetrics) Unattributed(reason string) { m.unattributed.WithLabelValues(reason).Inc() }
func (m *serverMetrics) AuditFailure()              { m.auditFailures.Inc() }
func (m *serverMetrics) FeedUnknown(n int)          { m.feedUnknown.Add(float64(n)) }
