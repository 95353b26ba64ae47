package synth

import (
	"testing"
	"time"
)

func TestCivilRoundTrip(t *testing.T) {
	for day := int32(-60000); day < 30000; day += 7 {
		y, m, d := civil(day)
		want := time.Unix(int64(day)*86400, 0).UTC()
		if y != want.Year() || m != int(want.Month()) || d != want.Day() {
			t.Fatalf("civil(%d) = %d-%d-%d, want %s", day, y, m, d, want)
		}
		if back := daysFromCivil(y, m, d); back != day {
			t.Fatalf("daysFromCivil(civil(%d)) = %d", day, back)
		}
	}
}

func TestDateTimeStringMatchesOslo(t *testing.T) {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	for sec := int64(347155200); sec < 1900000000; sec += 3599 * 7 {
		want := time.Unix(sec, 0).In(oslo).Format(time.RFC3339)
		if got := dateTimeString(sec); got != want {
			t.Fatalf("dateTimeString(%d) = %s, want %s", sec, got, want)
		}
	}
}
