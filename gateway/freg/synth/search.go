package synth

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"folkevakt/gateway/freg"
)

// searchIndex holds posting lists (person indexes in ascending order).
// Names and addresses are indexed separately for current and historic
// entries so that opplysningsgrunnlag picks lists instead of filtering.
type searchIndex struct {
	nameCur, nameHist map[string][]int32 // whole lower-case words
	phonCur, phonHist map[string][]int32 // phonetic keys
	// street → persons with that street as current bostedsadresse,
	// historic bostedsadresse, or oppholdsadresse.
	streetCur, streetHist, streetOpph [][]int32
	byBirth                           []int32 // sorted by birth date
	nameWords, namePhon               [][]string
}

// index builds the lookup and search indexes after generation.
func (r *Register) index() {
	n := len(r.persons)
	r.byNum = make([]int32, n)
	r.idx.byBirth = make([]int32, n)
	for i := range r.byNum {
		r.byNum[i], r.idx.byBirth[i] = int32(i), int32(i)
	}
	slices.SortFunc(r.byNum, func(a, b int32) int { return cmp.Compare(r.persons[a].num, r.persons[b].num) })
	r.nums = make([]uint64, n)
	for k, i := range r.byNum {
		r.nums[k] = r.persons[i].num
	}
	slices.SortFunc(r.idx.byBirth, func(a, b int32) int {
		return cmp.Or(cmp.Compare(r.persons[a].birth, r.persons[b].birth), cmp.Compare(a, b))
	})

	counts := make([]int32, n+1)
	for _, p := range r.persons {
		for _, q := range p.parent {
			if q >= 0 {
				counts[q+1]++
			}
		}
	}
	for i := 1; i <= n; i++ {
		counts[i] += counts[i-1]
	}
	r.childStart = counts
	r.children = make([]int32, counts[n])
	fill := slices.Clone(counts[:n])
	for c, p := range r.persons {
		for _, q := range p.parent {
			if q >= 0 {
				r.children[fill[q]] = int32(c)
				fill[q]++
			}
		}
	}

	x := &r.idx
	x.nameWords = make([][]string, len(r.names))
	x.namePhon = make([][]string, len(r.names))
	for i, s := range r.names {
		x.nameWords[i] = words(s)
		for _, w := range x.nameWords[i] {
			x.namePhon[i] = append(x.namePhon[i], phonetic(w))
		}
	}
	x.nameCur, x.nameHist = map[string][]int32{}, map[string][]int32{}
	x.phonCur, x.phonHist = map[string][]int32{}, map[string][]int32{}
	x.streetCur = make([][]int32, len(r.streets))
	x.streetHist = make([][]int32, len(r.streets))
	x.streetOpph = make([][]int32, len(r.streets))
	for i := range r.persons {
		p := &r.persons[i]
		id := int32(i)
		cur := [3]uint16{p.fornavn, p.mellom, p.etter}
		x.addName(x.nameCur, x.nameWords, cur, id)
		x.addName(x.phonCur, x.namePhon, cur, id)
		if p.oldEtter != 0 {
			old := [3]uint16{p.fornavn, p.mellom, p.oldEtter}
			x.addName(x.nameHist, x.nameWords, old, id)
			x.addName(x.phonHist, x.namePhon, old, id)
		}
		switch p.homeKind() {
		case homeBosted:
			x.streetCur[p.home.street] = append(x.streetCur[p.home.street], id)
		case homeHistoric:
			x.streetHist[p.home.street] = append(x.streetHist[p.home.street], id)
		case homeOpphold:
			x.streetOpph[p.home.street] = append(x.streetOpph[p.home.street], id)
		}
		if p.flags&fHasPrev != 0 && p.grad != gStrengtFortrolig {
			if l := x.streetHist[p.prev.street]; len(l) == 0 || l[len(l)-1] != id {
				x.streetHist[p.prev.street] = append(l, id)
			}
		}
	}
}

// addName posts id under every distinct key of the name parts.
func (x *searchIndex) addName(m map[string][]int32, keys [][]string, parts [3]uint16, id int32) {
	for _, part := range parts {
		for _, k := range keys[part] {
			if l := m[k]; len(l) == 0 || l[len(l)-1] != id {
				m[k] = append(l, id)
			}
		}
	}
}

// query is a validated SearchQuery.
type query struct {
	freg.SearchQuery
	birth            int32
	hasBirth         bool
	words            []string // lower-case, phonetic keys when SoekFonetisk
	cur, hist        bool     // opplysningsgrunnlag
	adressenavn      string   // lower-case
	hasAddress       bool
	husnr            int
	husbokstav       uint8
	kommune, fylke   string
	indexed, anyCrit bool
}

func (r *Register) parseQuery(q freg.SearchQuery) (query, error) {
	v := query{SearchQuery: q}
	bad := func(what string) (query, error) {
		return query{}, fmt.Errorf("%w: %s", freg.ErrInvalid, what)
	}
	switch q.Opplysningsgrunnlag {
	case "", "gjeldende":
		v.cur = true
	case "historisk":
		v.hist = true
	case "begge":
		v.cur, v.hist = true, true
	default:
		return bad("opplysningsgrunnlag must be gjeldende, historisk or begge")
	}
	if q.Kjoenn != "" && q.Kjoenn != "mann" && q.Kjoenn != "kvinne" {
		return bad("kjoenn must be mann or kvinne")
	}
	if q.MaksTreff < 0 || q.MaksTreff > freg.MaxSearchHits {
		return bad("maksTreff out of range")
	}
	if q.FoedselsaarFraOgMed != 0 && q.FoedselsaarTilOgMed != 0 && q.FoedselsaarFraOgMed > q.FoedselsaarTilOgMed {
		return bad("foedselsaar range is empty")
	}
	if q.Foedselsdato != "" {
		d, ok := parseDate(q.Foedselsdato)
		if !ok {
			return bad("foedselsdato must be a date YYYYMMDD")
		}
		v.birth, v.hasBirth = d, true
	}
	for _, w := range words(q.Navn) {
		if q.SoekFonetisk {
			w = phonetic(w)
		}
		v.words = append(v.words, w)
	}
	if q.Navn != "" && len(v.words) == 0 {
		return bad("navn has no words")
	}
	if q.Husnummer != "" {
		s := strings.ToUpper(q.Husnummer)
		if c := s[len(s)-1]; c >= 'A' && c <= 'Z' {
			v.husbokstav, s = c-'A'+1, s[:len(s)-1]
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return bad("husnummer must be a number")
		}
		v.husnr = n
	}
	v.adressenavn = strings.ToLower(strings.TrimSpace(q.Adressenavn))
	v.kommune, v.fylke = q.Kommunenummer, q.Fylkesnummer
	v.hasAddress = v.adressenavn != "" || q.Husnummer != "" || q.Postnummer != "" || v.kommune != "" || v.fylke != ""
	v.indexed = q.Identifikasjonsnummer != "" || len(v.words) > 0 || v.hasBirth ||
		q.FoedselsaarFraOgMed != 0 || q.FoedselsaarTilOgMed != 0 ||
		v.adressenavn != "" || q.Postnummer != "" || v.kommune != "" || v.fylke != ""
	v.anyCrit = v.indexed || q.Kjoenn != "" || q.Husnummer != ""
	if !v.anyCrit {
		return bad("no search criteria")
	}
	return v, nil
}

// parseDate accepts YYYYMMDD and YYYY-MM-DD.
func parseDate(s string) (int32, bool) {
	s = strings.ReplaceAll(s, "-", "")
	if len(s) != 8 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false
	}
	y, m, d := n/10000, n/100%100, n%100
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, false
	}
	day := daysFromCivil(y, m, d)
	if yy, mm, dd := civil(day); yy != y || mm != m || dd != d {
		return 0, false
	}
	return day, true
}

// Search implements v1/personer/soek.
func (r *Register) Search(ctx context.Context, q freg.SearchQuery) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, err := r.parseQuery(q)
	if err != nil {
		return nil, err
	}
	hits, err := r.find(ctx, v, freg.MaxSearchHits)
	if err != nil {
		return nil, err
	}
	if len(hits) > freg.MaxSearchHits {
		return nil, fmt.Errorf("%w: more than %d hits", freg.ErrInvalid, freg.MaxSearchHits)
	}
	limit := q.MaksTreff
	if limit == 0 {
		limit = 100
	}
	out := make([]string, 0, min(limit, len(hits)))
	for _, i := range hits[:min(limit, len(hits))] {
		out = append(out, r.persons[i].ident())
	}
	return out, nil
}

// UniqueSearch implements v1/personer/entydigsoek: first and last name plus
// an identity number, birth date, street or postnummer.
func (r *Register) UniqueSearch(ctx context.Context, q freg.SearchQuery, parts []string) (*freg.Person, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sel, err := freg.ParseParts(parts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", freg.ErrInvalid, err)
	}
	foreign := q.Legitimasjonsdokument != "" || q.Utenlandskpersonidentifikasjon != "" || q.Utlendingsmyndighetenesidentifikasjonsnummer != ""
	if foreign {
		return r.uniqueByForeignID(q, sel)
	}
	v, err := r.parseQuery(q)
	if err != nil {
		return nil, err
	}
	if len(v.words) < 2 {
		return nil, fmt.Errorf("%w: entydig search needs first and last name", freg.ErrInvalid)
	}
	if len([]rune(v.adressenavn)) > 0 && len([]rune(v.adressenavn)) < 3 {
		return nil, fmt.Errorf("%w: adressenavn needs at least 3 characters", freg.ErrInvalid)
	}
	if q.Identifikasjonsnummer == "" && !v.hasBirth && v.adressenavn == "" && q.Postnummer == "" {
		return nil, fmt.Errorf("%w: entydig search needs identifikasjonsnummer, foedselsdato, adressenavn or postnummer", freg.ErrInvalid)
	}
	hits, err := r.find(ctx, v, 1)
	if err != nil {
		return nil, err
	}
	if len(hits) != 1 {
		return nil, freg.ErrNotFound
	}
	return r.materialise(hits[0], sel), nil
}

// uniqueByForeignID is entydigsoek by a foreign identifier, which pairs
// with navn, or with foedselsdato for legitimasjonsdokument and
// utenlandskpersonidentifikasjon (the spec's combinations); further
// criteria narrow the hit.
func (r *Register) uniqueByForeignID(q freg.SearchQuery, sel freg.Selection) (*freg.Person, error) {
	n := 0
	for _, s := range []string{q.Legitimasjonsdokument, q.Utenlandskpersonidentifikasjon, q.Utlendingsmyndighetenesidentifikasjonsnummer} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return nil, fmt.Errorf("%w: give one of legitimasjonsdokument, utenlandskpersonidentifikasjon and utlendingsmyndighetenesidentifikasjonsnummer", freg.ErrInvalid)
	}
	v, err := r.parseQuery(q)
	if err != nil {
		return nil, err
	}
	byBirth := v.hasBirth && q.Utlendingsmyndighetenesidentifikasjonsnummer == ""
	if len(v.words) < 2 && !byBirth {
		return nil, fmt.Errorf("%w: a foreign identifier needs navn (first and last name) or, except for the DUF number, foedselsdato", freg.ErrInvalid)
	}
	i, ok := r.personByForeignID(q)
	if !ok || !r.matches(&r.persons[i], &v) {
		return nil, freg.ErrNotFound
	}
	return r.materialise(i, sel), nil
}

// find returns matching persons in index order, stopping after limit+1.
func (r *Register) find(ctx context.Context, v query, limit int) ([]int32, error) {
	var hits []int32
	try := func(i int32) bool {
		if r.matches(&r.persons[i], &v) {
			hits = append(hits, i)
		}
		return len(hits) <= limit
	}
	cands, ok := r.candidates(&v)
	if !ok {
		for i := range r.persons {
			if i%65536 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !try(int32(i)) {
				break
			}
		}
		return hits, nil
	}
	for _, i := range cands {
		if !try(i) {
			break
		}
	}
	return hits, ctx.Err()
}

// candidates returns a superset of the matches from the most selective
// index, sorted and unique; ok is false when no criterion is indexed.
func (r *Register) candidates(v *query) ([]int32, bool) {
	var best [][]int32
	bestSize := -1
	consider := func(lists [][]int32) {
		size := 0
		for _, l := range lists {
			size += len(l)
		}
		if bestSize < 0 || size < bestSize {
			best, bestSize = lists, size
		}
	}
	if v.Identifikasjonsnummer != "" {
		var l []int32
		if i, ok := r.lookup(v.Identifikasjonsnummer); ok {
			l = []int32{i}
		}
		consider([][]int32{l})
	}
	cur, hist := r.idx.nameCur, r.idx.nameHist
	if v.SoekFonetisk {
		cur, hist = r.idx.phonCur, r.idx.phonHist
	}
	for _, w := range v.words {
		var lists [][]int32
		if v.cur {
			lists = append(lists, cur[w])
		}
		if v.hist {
			lists = append(lists, hist[w])
		}
		consider(lists)
	}
	if v.hasBirth || v.FoedselsaarFraOgMed != 0 || v.FoedselsaarTilOgMed != 0 {
		lo, hi := int32(-1<<30), int32(1<<30)
		if v.hasBirth {
			lo, hi = v.birth, v.birth
		}
		if v.FoedselsaarFraOgMed != 0 {
			lo = max(lo, daysFromCivil(v.FoedselsaarFraOgMed, 1, 1))
		}
		if v.FoedselsaarTilOgMed != 0 {
			hi = min(hi, daysFromCivil(v.FoedselsaarTilOgMed, 12, 31))
		}
		consider([][]int32{r.birthRange(lo, hi)})
	}
	if v.hasAddress && (v.adressenavn != "" || v.Postnummer != "" || v.kommune != "" || v.fylke != "") {
		var lists [][]int32
		for s := range r.streets {
			if !r.streetMatches(uint16(s), v) {
				continue
			}
			if v.cur {
				lists = append(lists, r.idx.streetCur[s])
				if v.InkluderOppholdsadresse {
					lists = append(lists, r.idx.streetOpph[s])
				}
			}
			if v.hist {
				lists = append(lists, r.idx.streetHist[s])
			}
		}
		consider(lists)
	}
	if bestSize < 0 {
		return nil, false
	}
	return union(best), true
}

func (r *Register) birthRange(lo, hi int32) []int32 {
	b := r.idx.byBirth
	from, _ := slices.BinarySearchFunc(b, lo, func(i, d int32) int { return cmp.Compare(r.persons[i].birth, d) })
	to, _ := slices.BinarySearchFunc(b, hi+1, func(i, d int32) int { return cmp.Compare(r.persons[i].birth, d) })
	out := slices.Clone(b[from:to])
	slices.Sort(out)
	return out
}

// union merges sorted posting lists into one sorted list without duplicates.
func union(lists [][]int32) []int32 {
	if len(lists) == 1 {
		return lists[0]
	}
	var out []int32
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// streetMatches checks the street-level address criteria.
func (r *Register) streetMatches(s uint16, v *query) bool {
	st := r.streets[s]
	if v.adressenavn != "" && !strings.HasPrefix(strings.ToLower(streetNames[st.name]), v.adressenavn) {
		return false
	}
	if v.Postnummer != "" && r.posts[st.post].nr != v.Postnummer {
		return false
	}
	nr := kommuneTable[st.kommune].nr
	if v.kommune != "" && nr != v.kommune {
		return false
	}
	return v.fylke == "" || nr[:2] == v.fylke
}

func (r *Register) addrMatches(a addr, v *query) bool {
	if v.husnr != 0 && (int(a.husnr) != v.husnr || a.bokstav != v.husbokstav) {
		return false
	}
	return r.streetMatches(a.street, v)
}

// matches applies every criterion of v to p.
func (r *Register) matches(p *person, v *query) bool {
	if v.Identifikasjonsnummer != "" && p.ident() != v.Identifikasjonsnummer {
		return false
	}
	if !v.InkluderDoede && p.status == stDoed {
		return false
	}
	if v.Kjoenn != "" && (v.Kjoenn == "kvinne") != p.female() {
		return false
	}
	if v.hasBirth && p.birth != v.birth {
		return false
	}
	if y := yearOf(p.birth); (v.FoedselsaarFraOgMed != 0 && y < v.FoedselsaarFraOgMed) ||
		(v.FoedselsaarTilOgMed != 0 && y > v.FoedselsaarTilOgMed) {
		return false
	}
	if len(v.words) > 0 {
		ok := v.cur && r.nameHas([3]uint16{p.fornavn, p.mellom, p.etter}, v)
		if !ok && v.hist && p.oldEtter != 0 {
			ok = r.nameHas([3]uint16{p.fornavn, p.mellom, p.oldEtter}, v)
		}
		if !ok {
			return false
		}
	}
	if !v.hasAddress {
		return true
	}
	kind := p.homeKind()
	switch {
	case v.cur && kind == homeBosted && r.addrMatches(p.home, v),
		v.cur && kind == homeOpphold && v.InkluderOppholdsadresse && r.addrMatches(p.home, v),
		v.hist && kind == homeHistoric && r.addrMatches(p.home, v),
		v.hist && kind != homeNone && p.flags&fHasPrev != 0 && r.addrMatches(p.prev, v):
		return true
	}
	return false
}

// nameHas reports whether every query word is a word of the name.
func (r *Register) nameHas(parts [3]uint16, v *query) bool {
	keys := r.idx.nameWords
	if v.SoekFonetisk {
		keys = r.idx.namePhon
	}
	for _, w := range v.words {
		found := false
		for _, part := range parts {
			if slices.Contains(keys[part], w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
