package freg

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// deepAndLong are seeds every fuzz target of the gateway's parsers starts
// from: the shapes that once cost other parsers their stack or their heap.
var deepAndLong = []string{
	strings.Repeat("[", 100_000),
	strings.Repeat(`{"a":`, 20_000) + "1" + strings.Repeat("}", 20_000),
	`["` + strings.Repeat(`\"[`, 10_000) + `"]`,
	strings.Repeat("part=navn&", 5_000),
	"part=" + strings.Repeat("navn,", 20_000),
	"navn=" + strings.Repeat("%41", 30_000),
	strings.Repeat("&", 50_000),
	"fornavn=Ola&etternavn=Nordmann&foedselsdato=1990-01-01&part=navn",
}

// jsonDepth is the nesting of a valid JSON text, by the standard decoder.
func jsonDepth(b []byte) int {
	dec := json.NewDecoder(bytes.NewReader(b))
	depth, deepest := 0, 0
	for {
		t, err := dec.Token()
		if err != nil {
			return deepest
		}
		switch t {
		case json.Delim('['), json.Delim('{'):
			depth++
			deepest = max(deepest, depth)
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
}

func TestCheckJSONDepth(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`{"a":[1,2,{"b":"c"}]}`, true},
		{strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth), true},
		{strings.Repeat("[", MaxJSONDepth+1) + strings.Repeat("]", MaxJSONDepth+1), false},
		{`["` + strings.Repeat("[", 100) + `"]`, true},                                // brackets inside a string
		{`["\"` + strings.Repeat("{", 100) + `"]`, true},                              // after an escaped quote
		{`["\\"` + strings.Repeat(",[", 100) + strings.Repeat("]", 100) + `]`, false}, // an escaped backslash ends the string
	} {
		if err := CheckJSONDepth([]byte(tc.in), MaxJSONDepth); (err == nil) != tc.ok {
			t.Errorf("%.40q: %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func FuzzCheckJSONDepth(f *testing.F) {
	for _, s := range deepAndLong {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := CheckJSONDepth(b, MaxJSONDepth)
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v does not wrap ErrInvalid", err)
		}
		// On valid JSON it agrees with the standard decoder.
		if json.Valid(b) {
			if d := jsonDepth(b); (d <= MaxJSONDepth) != (err == nil) {
				t.Fatalf("depth %d, CheckJSONDepth %v", d, err)
			}
		}
	})
}

// FuzzQuery runs a raw query through everything the gateway does with one:
// the limits, then the search and part parsers. Nothing may panic, every
// refusal wraps ErrInvalid, and nothing past the limits is unbounded.
func FuzzQuery(f *testing.F) {
	for _, s := range deepAndLong {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if err := CheckQuery(raw); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("CheckQuery: %v does not wrap ErrInvalid", err)
			}
			return
		}
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if len(v) > MaxQueryParams {
			t.Fatalf("%d parameters passed the limit", len(v))
		}
		if _, err := ParseSearchQuery(v); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("ParseSearchQuery: %v does not wrap ErrInvalid", err)
		}
		parts := ParsePartParams(v)
		if err := CheckParts(parts); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("CheckParts: %v does not wrap ErrInvalid", err)
			}
			return
		}
		_, _ = ParseParts(parts)
	})
}
