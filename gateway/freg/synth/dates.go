package synth

import (
	"strconv"
	"time"
)

// Dates are days since 1970-01-01 (int32) and instants are seconds since
// the epoch (int64); both are formatted without the time package's
// location database so that output is identical on every machine.

func dayOf(t time.Time) int32 {
	return int32(t.Unix() / 86400)
}

// civil converts a day number to year, month, day (Hinnant's algorithm).
func civil(day int32) (y, m, d int) {
	z := int(day) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// daysFromCivil is the inverse of civil.
func daysFromCivil(y, m, d int) int32 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int32(era*146097 + doe - 719468)
}

func yearOf(day int32) int {
	y, _, _ := civil(day)
	return y
}

func pad(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

func appendDate(b []byte, day int32) []byte {
	y, m, d := civil(day)
	b = pad(b, y, 4)
	b = append(b, '-')
	b = pad(b, m, 2)
	b = append(b, '-')
	return pad(b, d, 2)
}

// dateString formats a day as YYYY-MM-DD.
func dateString(day int32) string {
	return string(appendDate(make([]byte, 0, 10), day))
}

// lastSunday returns the day number of the last Sunday of a month.
func lastSunday(y, m int) int32 {
	last := daysFromCivil(y, m+1, 1) - 1
	// 1970-01-01 was a Thursday: weekday 0 = Sunday is (day+4) mod 7.
	wd := (int(last)%7 + 7 + 4) % 7
	return last - int32(wd)
}

// osloOffset returns Norway's UTC offset in seconds at instant sec:
// EU summer time since 1996, last Sunday of September as the end before,
// none before 1981 (1980 had a season of its own; historic timestamps
// from then are approximate).
func osloOffset(sec int64) int64 {
	day := int32(sec / 86400)
	if sec < 0 && sec%86400 != 0 {
		day--
	}
	y := yearOf(day)
	if y < 1981 {
		return 3600
	}
	endMonth := 10
	if y < 1996 {
		endMonth = 9
	}
	start := int64(lastSunday(y, 3))*86400 + 3600
	end := int64(lastSunday(y, endMonth))*86400 + 3600
	if sec >= start && sec < end {
		return 7200
	}
	return 3600
}

// dateTimeString formats an instant as ISO-8601 with the Norwegian offset,
// e.g. 2021-03-04T10:15:30+01:00.
func dateTimeString(sec int64) string {
	off := osloOffset(sec)
	local := sec + off
	day := int32(local / 86400)
	rem := local % 86400
	if rem < 0 {
		rem += 86400
		day--
	}
	b := make([]byte, 0, 25)
	b = appendDate(b, day)
	b = append(b, 'T')
	b = pad(b, int(rem/3600), 2)
	b = append(b, ':')
	b = pad(b, int(rem/60%60), 2)
	b = append(b, ':')
	b = pad(b, int(rem%60), 2)
	b = append(b, '+', '0')
	return string(append(b, byte('0'+off/3600), ':', '0', '0'))
}
