package access

import (
	"encoding/json"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/ident"
)

// disclosed appends every identity number an answer holds: the persons
// themselves and every related person it names (spouse in sivilstand,
// parents in foreldreansvar, familierelasjon, verge, dødsbo …). Scanning
// the answer rather than listing fields keeps the rule true for every
// element, present and future: whatever 11-digit valid identity number
// leaves is audited.
func disclosed(ids []string, doc []byte) []string {
	for i := 0; i < len(doc); {
		if !isDigit(doc[i]) {
			i++
			continue
		}
		j := i
		for j < len(doc) && isDigit(doc[j]) {
			j++
		}
		if j-i == 11 && ident.Validate(string(doc[i:j])) == nil {
			ids = append(ids, string(doc[i:j]))
		}
		i = j
	}
	return ids
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// disclosedPersons is disclosed for reduced persons.
func disclosedPersons(ids []string, ps ...*freg.Person) []string {
	for _, p := range ps {
		if p == nil {
			continue
		}
		b, err := json.Marshal(p)
		if err != nil {
			continue // a person that cannot be encoded cannot leave either
		}
		ids = disclosed(ids, b)
	}
	return ids
}
