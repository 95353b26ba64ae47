package scim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
)

// Limits on recursive and repetitive input, checked by linear scans before
// any parser sees the input: the filter parser recurses once per nesting
// level (100,000 parentheses overflow Go's stack and kill the process) and
// the database refuses expressions past a fixed depth. The filter limits are
// advertised in ServiceProviderConfig and docs/scim.md.
const (
	// MaxFilterBytes is the longest filter or PATCH path accepted.
	MaxFilterBytes = 4096
	// MaxFilterDepth is the deepest nesting of parentheses and value-path
	// brackets in a filter or PATCH path.
	MaxFilterDepth = 16
	// MaxFilterTerms is the most comparisons one filter or PATCH path may
	// hold (joined by and/or, possibly negated).
	MaxFilterTerms = 64
	// MaxJSONDepth is the deepest nesting of objects and arrays in a request
	// body; SCIM documents need 5 (a PATCH value holding a list of complex
	// values inside the extension).
	MaxJSONDepth = 32
	// MaxPatchOperations is the most operations one PATCH may hold.
	MaxPatchOperations = 1000
)

// compareOperators are the filter operators that take a value.
var compareOperators = map[string]bool{"eq": true, "ne": true, "co": true, "sw": true, "ew": true,
	"gt": true, "ge": true, "lt": true, "le": true}

func filterTooComplex(format string, args ...any) error {
	return badRequest(scimerrors.ScimTypeInvalidFilter, fmt.Sprintf(format, args...))
}

// prepareFilter checks a filter (or PATCH path) against the limits in one
// pass and returns it with the leniencies applied that Microsoft's SCIM
// reference service allows: a comparison value that is not a JSON string,
// number, true, false or null ("userName eq bjensen") is taken as a string.
// Such a filter is invalid under RFC 7644, so no valid filter changes
// meaning. Anything else malformed is left for the parser to refuse.
func prepareFilter(s string) (string, error) {
	if len(s) > MaxFilterBytes {
		return "", filterTooComplex("The filter is longer than %d bytes.", MaxFilterBytes)
	}
	var (
		out            strings.Builder
		depth, terms   int
		afterOperator  bool // the next token is a comparison value
		lastWasOperand bool // the previous word could be an attribute path
	)
	out.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			end := stringEnd(s, i)
			out.WriteString(s[i:end])
			i, afterOperator, lastWasOperand = end, false, false
			continue
		case c == '(' || c == '[':
			depth++
			if depth > MaxFilterDepth {
				return "", filterTooComplex("The filter nests deeper than %d levels.", MaxFilterDepth)
			}
			afterOperator, lastWasOperand = false, false
		case c == ')' || c == ']':
			depth--
			afterOperator, lastWasOperand = false, false
		case isFilterSpace(c):
		default:
			end := i
			for end < len(s) && !isFilterSpace(s[end]) && !strings.ContainsRune(`()[]"`, rune(s[end])) {
				end++
			}
			word := s[i:end]
			lower := strings.ToLower(word)
			switch {
			case afterOperator:
				out.WriteString(compareValue(word))
				afterOperator, lastWasOperand = false, false
				i = end
				continue
			case lastWasOperand && (compareOperators[lower] || lower == "pr"):
				terms++
				if terms > MaxFilterTerms {
					return "", filterTooComplex("The filter has more than %d comparisons.", MaxFilterTerms)
				}
				afterOperator, lastWasOperand = lower != "pr", false
			default:
				lastWasOperand = lower != "and" && lower != "or" && lower != "not"
			}
			out.WriteString(word)
			i = end
			continue
		}
		out.WriteByte(c)
		i++
	}
	return out.String(), nil
}

// stringEnd returns the index after the JSON string starting at s[i] (or
// len(s) if it is unterminated).
func stringEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(s)
}

func isFilterSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// compareValue returns a comparison value as the parser must see it: JSON
// literals and numbers unchanged, a bare word quoted.
func compareValue(word string) string {
	switch strings.ToLower(word) {
	case "true", "false", "null":
		return word
	}
	if c := word[0]; c == '-' || c >= '0' && c <= '9' {
		if _, err := strconv.ParseFloat(word, 64); err == nil {
			return word
		}
	}
	quoted, _ := json.Marshal(word) // a string always encodes
	return string(quoted)
}

// checkJSONDepth refuses a body nested deeper than MaxJSONDepth, in one pass
// before any decoder recurses into it.
func checkJSONDepth(body []byte) error {
	depth := 0
	inString := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case inString:
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > MaxJSONDepth {
				return badRequest(scimerrors.ScimTypeInvalidSyntax,
					fmt.Sprintf("The request body nests deeper than %d levels.", MaxJSONDepth))
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}
