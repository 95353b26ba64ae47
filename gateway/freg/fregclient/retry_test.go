package fregclient

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"250", 250 * time.Millisecond},   // FREG: milliseconds
		{"10", 10 * time.Millisecond},     // smallest value read as milliseconds
		{"2", 2 * time.Second},            // below 10: seconds from an HTTP intermediary
		{"0", 0},                          // retry at once
		{"4999", 4999 * time.Millisecond}, // under the cap
		{"60000", maxRetryWait},           // capped
		{"9", maxRetryWait},               // 9 s, capped
		{now.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Add(time.Hour).Format(http.TimeFormat), maxRetryWait},
		{"", fallbackRetryWait},
		{"-5", fallbackRetryWait},
		{"soon", fallbackRetryWait},
		{" 300 ", 300 * time.Millisecond},
	}
	for _, tc := range tests {
		if got := retryAfter(tc.in, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
