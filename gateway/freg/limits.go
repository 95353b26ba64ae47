package freg

import (
	"fmt"
	"strings"
)

// Limits on what a caller sends, checked before anything is parsed, so that
// the work and memory of one request stay small whatever it carries.
const (
	// MaxQueryBytes bounds a raw query string: FREG's longest search (every
	// criterion at its longest) is well under 2 kB.
	MaxQueryBytes = 8 << 10
	// MaxQueryParams bounds the name=value pairs of a query.
	MaxQueryParams = 64
	// MaxParts bounds the `part` values of a request; the catalogue has
	// fewer than 40 parts.
	MaxParts = 64
	// maxPartLen bounds one `part` value; the longest part name is short.
	maxPartLen = 64
	// MaxJSONDepth bounds the nesting of a JSON request body; FREG's bodies
	// nest three levels.
	MaxJSONDepth = 16
)

// CheckQuery refuses a raw query string over MaxQueryBytes or with more
// than MaxQueryParams parameters, before it is parsed. Errors wrap
// ErrInvalid and never echo the query.
func CheckQuery(raw string) error {
	if len(raw) > MaxQueryBytes {
		return fmt.Errorf("%w: query longer than %d bytes", ErrInvalid, MaxQueryBytes)
	}
	if raw != "" && strings.Count(raw, "&")+1 > MaxQueryParams {
		return fmt.Errorf("%w: more than %d query parameters", ErrInvalid, MaxQueryParams)
	}
	return nil
}

// CheckParts refuses more than MaxParts `part` values or an overlong one.
func CheckParts(parts []string) error {
	if len(parts) > MaxParts {
		return fmt.Errorf("%w: more than %d part values", ErrInvalid, MaxParts)
	}
	for _, p := range parts {
		if len(p) > maxPartLen {
			return fmt.Errorf("%w: a part value is longer than %d characters", ErrInvalid, maxPartLen)
		}
	}
	return nil
}

// CheckJSONDepth refuses a JSON text whose arrays and objects nest deeper
// than max. It only scans bytes (strings are skipped), so it costs one pass
// and no memory; whether the text is valid JSON is the decoder's question.
func CheckJSONDepth(b []byte, max int) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			if depth > max {
				return fmt.Errorf("%w: JSON nested deeper than %d levels", ErrInvalid, max)
			}
		case ']', '}':
			depth--
		}
	}
	return nil
}
