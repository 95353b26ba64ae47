package freg

import (
	"slices"
	"testing"
)

// TestParsePartsCommonSelections checks the precomputed selections against
// the computation they stand for, and that a caller cannot alter them.
func TestParsePartsCommonSelections(t *testing.T) {
	for name := range commonSelections() {
		var parts []string
		if name != "" {
			parts = []string{name}
		}
		got, err := ParseParts(parts)
		want, werr := parseParts(parts)
		if err != nil || werr != nil || !slices.Equal(got.Elements, want.Elements) || got.Historikk != want.Historikk {
			t.Fatalf("%q: got %v %v, want %v %v", name, got, err, want, werr)
		}
		got.Elements[0] = "changed"
		if again, _ := ParseParts(parts); again.Elements[0] == "changed" {
			t.Fatalf("%q: a caller's change reached the shared selection", name)
		}
	}
	if _, err := ParseParts([]string{"nope"}); err == nil {
		t.Fatal("unknown part accepted")
	}
}
