// Package ident validates and builds Norwegian identity numbers
// (fødselsnummer and D-nummer, freg.md §6) and organisation numbers.
//
// Errors name the reason only, never the number: they may reach logs.
package ident

import (
	"errors"
	"time"
)

// Kind is the type of identity number, spelt as FREG's identifikatortype.
type Kind uint8

const (
	Foedselsnummer Kind = iota + 1
	DNummer
)

// String returns FREG's identifikatortype value.
func (k Kind) String() string {
	switch k {
	case Foedselsnummer:
		return "foedselsnummer"
	case DNummer:
		return "dNummer"
	}
	return "ukjent"
}

// Number is what a valid identity number tells about its holder.
type Number struct {
	Kind Kind
	// Synthetic marks Skatteetaten's test numbers (month + 80).
	Synthetic bool
	// Issued2032 marks numbers whose first check digit uses the 2032 rule
	// (r1 ∈ {1,2,3}); they encode neither century nor sex.
	Issued2032 bool
	// Birth is the birth date, zero when the number does not determine it.
	Birth time.Time
}

// Reasons a number is rejected.
var (
	ErrLength     = errors.New("ident: identity number must have 11 digits")
	ErrOrgLength  = errors.New("ident: organisation number must have 9 digits")
	ErrNotDigit   = errors.New("ident: number contains a non-digit")
	ErrDate       = errors.New("ident: number does not encode a valid date")
	ErrCheckDigit = errors.New("ident: check digits do not match")
)

var (
	weights1 = [9]int{3, 7, 6, 1, 8, 9, 4, 5, 2}
	weights2 = [10]int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
)

// digits converts s to digit values, checking length and alphabet.
func digits(s string, n int, errLen error) ([]int, error) {
	if len(s) != n {
		return nil, errLen
	}
	d := make([]int, n)
	for i := 0; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return nil, ErrNotDigit
		}
		d[i] = int(c - '0')
	}
	return d, nil
}

// remainders returns r1 and r2 of freg.md §6 for an 11-digit number.
func remainders(d []int) (r1, r2 int) {
	for i, w := range weights1 {
		r1 += w * d[i]
	}
	r1 = (r1 + d[9]) % 11
	for i, w := range weights2 {
		r2 += w * d[i]
	}
	r2 = (r2 + d[10]) % 11
	return r1, r2
}

// Parse validates a fødselsnummer or D-nummer and describes it. It accepts
// r1 ∈ {0..3} like Skatteetaten's validator (the 2032 rule) and requires
// r2 = 0.
func Parse(s string) (Number, error) {
	d, err := digits(s, 11, ErrLength)
	if err != nil {
		return Number{}, err
	}
	var n Number
	day := d[0]*10 + d[1]
	month := d[2]*10 + d[3]
	yy := d[4]*10 + d[5]
	individ := d[6]*100 + d[7]*10 + d[8]
	n.Kind = Foedselsnummer
	if day > 40 {
		n.Kind, day = DNummer, day-40
	}
	if month > 80 {
		n.Synthetic, month = true, month-80
	}
	r1, r2 := remainders(d)
	if r1 > 3 || r2 != 0 {
		return Number{}, ErrCheckDigit
	}
	n.Issued2032 = r1 != 0
	year, known := 0, false
	if !n.Issued2032 {
		year, known = century(individ, yy)
	}
	if !known {
		// Century unknown: accept 29 February when any century allows it.
		year = 2000 + yy
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return Number{}, ErrDate
	}
	if known {
		n.Birth = time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	}
	return n, nil
}

// Validate reports why s is not a valid identity number, or nil.
func Validate(s string) error {
	_, err := Parse(s)
	return err
}

// century applies the legacy individnummer table (freg.md §6).
func century(individ, yy int) (int, bool) {
	switch {
	case individ <= 499:
		return 1900 + yy, true
	case individ <= 749 && yy >= 54:
		return 1800 + yy, true
	case yy <= 39:
		return 2000 + yy, true
	case individ >= 900:
		return 1900 + yy, true
	}
	return 0, false
}

// IndividRange returns the individnummer range that encodes birth year
// year, so that Parse derives the year back; ok is false outside 1854–2039.
func IndividRange(year int) (lo, hi int, ok bool) {
	switch {
	case year >= 1854 && year <= 1899:
		return 500, 749, true
	case year >= 1900 && year <= 1999:
		return 0, 499, true
	case year >= 2000 && year <= 2039:
		return 500, 999, true
	}
	return 0, 0, false
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// CheckDigits computes k1 and k2 for the first nine digits of a pre-2032
// number (r1 = r2 = 0). ok is false when a check digit would be 10: such a
// number is never issued.
func CheckDigits(first9 string) (k1, k2 int, ok bool) {
	d, err := digits(first9, 9, ErrLength)
	if err != nil {
		return 0, 0, false
	}
	s := 0
	for i, w := range weights1 {
		s += w * d[i]
	}
	k1 = (11 - s%11) % 11
	s = 0
	for i, w := range weights2[:9] {
		s += w * d[i]
	}
	s += weights2[9] * k1
	k2 = (11 - s%11) % 11
	return k1, k2, k1 < 10 && k2 < 10
}

// Errors of Build.
var (
	ErrIndivid     = errors.New("ident: individnummer does not encode the birth year")
	ErrNotIssuable = errors.New("ident: a check digit would be 10")
)

// Build returns the identity number of kind for a birth date and
// individnummer; synthetic adds 80 to the month as Skatteetaten's test
// numbers do. The individnummer must lie in IndividRange(birth year).
// ErrNotIssuable means the caller should try another individnummer.
func Build(kind Kind, synthetic bool, birth time.Time, individ int) (string, error) {
	lo, hi, ok := IndividRange(birth.Year())
	if !ok || individ < lo || individ > hi {
		return "", ErrIndivid
	}
	day, month := birth.Day(), int(birth.Month())
	if kind == DNummer {
		day += 40
	}
	if synthetic {
		month += 80
	}
	b := []byte{
		byte('0' + day/10), byte('0' + day%10),
		byte('0' + month/10), byte('0' + month%10),
		byte('0' + birth.Year()%100/10), byte('0' + birth.Year()%10),
		byte('0' + individ/100), byte('0' + individ/10%10), byte('0' + individ%10),
	}
	k1, k2, ok := CheckDigits(string(b))
	if !ok {
		return "", ErrNotIssuable
	}
	return string(append(b, byte('0'+k1), byte('0'+k2))), nil
}

var orgWeights = [8]int{3, 2, 7, 6, 5, 4, 3, 2}

// ValidOrgNumber reports why s is not a valid organisation number, or nil:
// nine digits, mod-11 with weights 3 2 7 6 5 4 3 2 (remainder 1 has no
// valid control digit).
func ValidOrgNumber(s string) error {
	d, err := digits(s, 9, ErrOrgLength)
	if err != nil {
		return err
	}
	sum := 0
	for i, w := range orgWeights {
		sum += w * d[i]
	}
	r := sum % 11
	if r == 1 || (11-r)%11 != d[8] {
		return ErrCheckDigit
	}
	return nil
}
