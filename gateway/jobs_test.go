package gateway

import (
	"testing"
	"time"
)

func TestExtractJobsOwnership(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	j := newExtractJobs(func() time.Time { return now })
	j.remember("job-1", "org-a", "role-1")
	for _, tc := range []struct {
		job, org, role string
		want           bool
	}{
		{"job-1", "org-a", "role-1", true},
		{"job-1", "org-b", "role-1", false}, // another organisation that learnt the id
		{"job-1", "org-a", "role-2", false}, // another role of the same organisation
		{"job-2", "org-a", "role-1", false}, // never ordered here
	} {
		if got := j.owns(tc.job, tc.org, tc.role); got != tc.want {
			t.Errorf("owns(%s, %s, %s) = %t, want %t", tc.job, tc.org, tc.role, got, tc.want)
		}
	}
	now = now.Add(jobTTL + time.Second)
	if j.owns("job-1", "org-a", "role-1") {
		t.Error("an expired job is still owned")
	}
}
