package lists

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"folkevakt/gateway/access"
	"folkevakt/gateway/freg"
)

func invalid(field, format string, args ...any) error {
	return access.Invalid(field + ": " + fmt.Sprintf(format, args...))
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data, and names the offending field.
func decodeStrict(data []byte, v any, what string) error {
	if freg.CheckJSONDepth(data, freg.MaxJSONDepth) != nil {
		return invalid(what, "nests deeper than %d levels", freg.MaxJSONDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return invalid(name, "unknown field in %s", what)
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = what
			}
			return invalid(field, "must be a JSON %s", te.Type.String())
		case errors.Is(err, io.EOF):
			return invalid(what, "is empty")
		}
		return invalid(what, "is not valid JSON")
	}
	if dec.More() {
		return invalid(what, "has data after the JSON value")
	}
	return nil
}
