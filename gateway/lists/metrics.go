package lists

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// How a list job that started ended (the outcome label of
// folkevakt_list_jobs_finished_total and of the "list order finished" log
// line).
const (
	outcomeDone        = "done"
	outcomeFailed      = "failed"
	outcomeCancelled   = "cancelled"
	outcomeInterrupted = "interrupted"
)

var outcomes = []string{outcomeDone, outcomeFailed, outcomeCancelled, outcomeInterrupted}

// jobStats counts finished jobs by outcome; the queue and the running jobs
// are read from the Service when scraped.
type jobStats struct {
	byOutcome [4]atomic.Uint64 // in the order of outcomes
}

func (j *jobStats) finished(outcome string) {
	for i, o := range outcomes {
		if o == outcome {
			j.byOutcome[i].Add(1)
		}
	}
}

var (
	queueDesc = prometheus.NewDesc("folkevakt_list_queue_length",
		"Citizen-list orders waiting for a worker.", nil, nil)
	queueCapDesc = prometheus.NewDesc("folkevakt_list_queue_capacity",
		"Orders the queue holds before new orders are refused.", nil, nil)
	runningDesc = prometheus.NewDesc("folkevakt_list_jobs_running",
		"Citizen-list orders being run now.", nil, nil)
	finishedDesc = prometheus.NewDesc("folkevakt_list_jobs_finished_total",
		"Citizen-list jobs that started and ended, by outcome (done, failed, cancelled, interrupted).", []string{"outcome"}, nil)
)

// Describe and Collect make the Service a Prometheus collector; register it
// with the server's registry.
func (s *Service) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDesc
	ch <- queueCapDesc
	ch <- runningDesc
	ch <- finishedDesc
}

func (s *Service) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	running := len(s.running)
	s.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(len(s.queue)))
	ch <- prometheus.MustNewConstMetric(queueCapDesc, prometheus.GaugeValue, float64(cap(s.queue)))
	ch <- prometheus.MustNewConstMetric(runningDesc, prometheus.GaugeValue, float64(running))
	for i, o := range outcomes {
		ch <- prometheus.MustNewConstMetric(finishedDesc, prometheus.CounterValue, float64(s.stats.byOutcome[i].Load()), o)
	}
}
