package ident

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Number
		err  error
	}{
		{"fiks example", "06076301709", Number{Kind: Foedselsnummer, Birth: date(1963, 7, 6)}, nil},
		// The doc's 2032 example has r1 = 0: a person born in 2032.
		{"2032 doc example", "02013299997", Number{Kind: Foedselsnummer, Birth: date(2032, 1, 2)}, nil},
		{"legacy r1 = 0", "15069012377", Number{Kind: Foedselsnummer, Birth: date(1990, 6, 15)}, nil},
		{"2032 rule r1 = 1", "15069012385", Number{Kind: Foedselsnummer, Issued2032: true}, nil},
		{"2032 rule r1 = 2", "15069012393", Number{Kind: Foedselsnummer, Issued2032: true}, nil},
		{"r1 = 5 rejected", "15069012318", Number{}, ErrCheckDigit},
		{"synthetic", "01914796756", Number{Kind: Foedselsnummer, Synthetic: true, Birth: date(1947, 11, 1)}, nil},
		// individnummer 610 with YY 40 matches no century row.
		{"synthetic D-number", "41814061033", Number{Kind: DNummer, Synthetic: true}, nil},
		{"bad check digit doc 1", "16117548867", Number{}, ErrCheckDigit},
		{"bad check digit doc 2", "13108138812", Number{}, ErrCheckDigit},
		{"too short", "0607630170", Number{}, ErrLength},
		{"too long", "060763017090", Number{}, ErrLength},
		{"empty", "", Number{}, ErrLength},
		{"letter", "0607630170X", Number{}, ErrNotDigit},
		{"space", "060763 1709", Number{}, ErrNotDigit},
		{"31 February", mustBuildRaw(t, "310263", 123), Number{}, ErrDate},
		{"month 13", mustBuildRaw(t, "011363", 123), Number{}, ErrDate},
		{"day 0", mustBuildRaw(t, "000563", 123), Number{}, ErrDate},
		{"Dolly month +40", mustBuildRaw(t, "014563", 123), Number{}, ErrDate},
		{"D-number day 72", mustBuildRaw(t, "720163", 123), Number{}, ErrDate},
		{"29 Feb 1900 not leap", mustBuildRaw(t, "290200", 123), Number{}, ErrDate},
		{"29 Feb 2000 leap", mustBuildRaw(t, "290200", 567), Number{Kind: Foedselsnummer, Birth: date(2000, 2, 29)}, nil},
		{"D-number", mustBuildRaw(t, "450385", 234), Number{Kind: DNummer, Birth: date(1985, 3, 5)}, nil},
		{"1800s", mustBuildRaw(t, "150660", 600), Number{Kind: Foedselsnummer, Birth: date(1860, 6, 15)}, nil},
		{"1940s via 9xx", mustBuildRaw(t, "150645", 950), Number{Kind: Foedselsnummer, Birth: date(1945, 6, 15)}, nil},
		{"2010s", mustBuildRaw(t, "011215", 812), Number{Kind: Foedselsnummer, Birth: date(2015, 12, 1)}, nil},
		{"synthetic D-number derivable", mustBuildRaw(t, "428190", 123), Number{Kind: DNummer, Synthetic: true, Birth: date(1990, 1, 2)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if err != nil && tt.in != "" && strings.Contains(err.Error(), tt.in[:6]) {
				t.Fatalf("error %q echoes the number", err)
			}
		})
	}
}

// mustBuildRaw appends individnummer and valid check digits to a six-digit
// date part without checking the date, to test date validation.
func mustBuildRaw(t *testing.T, dmy string, individ int) string {
	t.Helper()
	for ; individ < 1000; individ++ {
		first9 := dmy + string([]byte{byte('0' + individ/100), byte('0' + individ/10%10), byte('0' + individ%10)})
		if k1, k2, ok := CheckDigits(first9); ok {
			return first9 + string([]byte{byte('0' + k1), byte('0' + k2)})
		}
	}
	t.Fatalf("no issuable number for %s", dmy)
	return ""
}

// mod11 is an independent check of freg.md §6 written from the definition:
// each weighted sum including its check digit is divisible by 11 (r1 may
// also be 1–3 under the 2032 rule).
func mod11(s string) bool {
	if len(s) != 11 {
		return false
	}
	w1 := "3761894521"  // k1 weights followed by 1 for k1 itself
	w2 := "54327654321" // k2 weights followed by 1 for k2 itself
	var s1, s2 int
	for i := 0; i < 11; i++ {
		c := int(s[i] - '0')
		if c < 0 || c > 9 {
			return false
		}
		if i < 10 {
			s1 += c * int(w1[i]-'0')
		}
		s2 += c * int(w2[i]-'0')
	}
	return s1%11 <= 3 && s2%11 == 0
}

func TestBuildRoundTrip(t *testing.T) {
	count := 0
	for _, kind := range []Kind{Foedselsnummer, DNummer} {
		for _, synthetic := range []bool{false, true} {
			for day := date(1855, 1, 3); day.Year() < 2039; day = day.AddDate(0, 1, 17) {
				lo, hi, ok := IndividRange(day.Year())
				if !ok {
					t.Fatalf("no individ range for %d", day.Year())
				}
				for individ := lo; individ <= hi; individ += 37 {
					s, err := Build(kind, synthetic, day, individ)
					if errors.Is(err, ErrNotIssuable) {
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					count++
					if !mod11(s) {
						t.Fatalf("built number fails independent mod-11 check")
					}
					n, err := Parse(s)
					if err != nil {
						t.Fatalf("built number rejected: %v", err)
					}
					want := Number{Kind: kind, Synthetic: synthetic, Birth: day}
					if n != want {
						t.Fatalf("round trip: got %+v, want %+v", n, want)
					}
				}
			}
		}
	}
	if count < 10000 {
		t.Fatalf("only %d numbers built", count)
	}
}

func TestBuildErrors(t *testing.T) {
	if _, err := Build(Foedselsnummer, false, date(1985, 1, 1), 700); !errors.Is(err, ErrIndivid) {
		t.Fatalf("individ outside range: %v", err)
	}
	if _, err := Build(Foedselsnummer, false, date(1800, 1, 1), 100); !errors.Is(err, ErrIndivid) {
		t.Fatalf("year outside table: %v", err)
	}
	notIssuable := 0
	for individ := 0; individ < 500; individ++ {
		if _, err := Build(Foedselsnummer, false, date(1985, 1, 1), individ); errors.Is(err, ErrNotIssuable) {
			notIssuable++
		}
	}
	// About 2/11 of individnumre give a check digit of 10.
	if notIssuable < 40 || notIssuable > 140 {
		t.Fatalf("%d of 500 not issuable", notIssuable)
	}
}

func TestCheckDigits(t *testing.T) {
	tests := []struct {
		first9 string
		k1, k2 int
		ok     bool
	}{
		{"060763017", 0, 9, true},
		{"019147967", 5, 6, true},
		{"06076301", 0, 0, false},
		{"06076301x", 0, 0, false},
	}
	for _, tt := range tests {
		k1, k2, ok := CheckDigits(tt.first9)
		if ok != tt.ok || (ok && (k1 != tt.k1 || k2 != tt.k2)) {
			t.Errorf("CheckDigits(%s) = %d %d %v, want %d %d %v", tt.first9, k1, k2, ok, tt.k1, tt.k2, tt.ok)
		}
	}
}

func TestKindString(t *testing.T) {
	if Foedselsnummer.String() != "foedselsnummer" || DNummer.String() != "dNummer" {
		t.Fatal("identifikatortype spelling")
	}
}

func TestValidOrgNumber(t *testing.T) {
	tests := []struct {
		in  string
		err error
	}{
		{"974760673", nil}, // Brønnøysundregistrene
		{"971526920", nil}, // Statistisk sentralbyrå
		{"123456789", ErrCheckDigit},
		{"974760672", ErrCheckDigit},
		{"97476067", ErrOrgLength},
		{"9747606730", ErrOrgLength},
		{"97476067a", ErrNotDigit},
	}
	for _, tt := range tests {
		if err := ValidOrgNumber(tt.in); !errors.Is(err, tt.err) {
			t.Errorf("ValidOrgNumber(%s) = %v, want %v", tt.in, err, tt.err)
		}
	}
}

// orgMod11 checks an organisation number straight from the weights.
func orgMod11(s string) bool {
	w := []int{3, 2, 7, 6, 5, 4, 3, 2, 1}
	sum := 0
	for i := range w {
		sum += int(s[i]-'0') * w[i]
	}
	return sum%11 == 0
}

func TestOrgNumberAgainstIndependentCheck(t *testing.T) {
	valid := 0
	for n := 900000000; n < 900000000+20000; n++ {
		s := itoa9(n)
		got := ValidOrgNumber(s) == nil
		if got != orgMod11(s) {
			t.Fatalf("ValidOrgNumber disagrees with the independent check")
		}
		if got {
			valid++
		}
	}
	if valid == 0 {
		t.Fatal("no valid organisation number found")
	}
}

func itoa9(n int) string {
	b := make([]byte, 9)
	for i := 8; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"06076301709", "02013299997", "01914796756", "41814061033", "16117548867", "13108138812", "", "0607630170X", "31026312345", "99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		if len(s) != 11 || !mod11(s) {
			t.Fatalf("accepted a number that fails the independent check")
		}
		again, err := Parse(s)
		if err != nil || again != n {
			t.Fatalf("re-validation differs")
		}
	})
}

func FuzzValidOrgNumber(f *testing.F) {
	for _, s := range []string{"974760673", "123456789", "", "97476067a", "0000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidOrgNumber(s) != nil {
			return
		}
		if len(s) != 9 || !orgMod11(s) || ValidOrgNumber(s) != nil {
			t.Fatalf("accepted an invalid organisation number")
		}
	})
}
