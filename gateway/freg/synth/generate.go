// Package synth is folkevakt's embedded synthetic Folkeregister: a
// deterministic, realistic population with FREG's client semantics (lookup
// with part, bulk lookup, search, entydig search, hendelsesliste and
// tilpasset uttrekk).
//
// Persons are kept in compact fixed-size records with indexes into shared
// tables; a freg.Person is materialised only on lookup. All identity
// numbers are Skatteetaten-style synthetic (month + 80).
package synth

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/ident"
)

var _ freg.Client = (*Register)(nil)

// Config describes a population.
type Config struct {
	Seed int64
	// N is the number of persons, living and dead.
	N int
	// Kommuner are the organisation's municipalities, where about 60 % of
	// the population lives; empty means nationwide only.
	Kommuner []string
	// Reference is the fixed "now" of the population; zero means
	// 2026-01-01T00:00:00+01:00.
	Reference time.Time
}

// DefaultReference is the "now" of a population whose Config has none.
var DefaultReference = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600))

// Person statuses (status.status).
const (
	stBosatt uint8 = iota
	stUtflyttet
	stDoed
	stMidlertidig
	stInaktiv
	stAktiv
)

var statusNames = []string{"bosatt", "utflyttet", "doed", "midlertidig", "inaktiv", "aktiv"}

// Civil statuses (sivilstand.sivilstand).
const (
	sivUgift uint8 = iota
	sivGift
	sivSkilt
	sivEnke
)

var sivilNames = []string{"ugift", "gift", "skilt", "enkeEllerEnkemann"}

// Address protection of the person (gradering).
const (
	gUgradert uint8 = iota
	gKlient
	gFortrolig
	gStrengtFortrolig
)

var graderingNames = []string{freg.GraderingUgradert, freg.GraderingKlientadresse, freg.GraderingFortrolig, freg.GraderingStrengtFortrolig}

// Parental responsibility of a child (foreldreansvar.ansvar).
const (
	ansvarNone uint8 = iota
	ansvarFelles
	ansvarMor
	ansvarFar
)

var ansvarNames = []string{"", "felles", "mor", "far"}

// person flags.
const (
	fFemale uint8 = 1 << iota
	fDNummer
	fHasPrev
	fDeltBosted
)

// addr is a street address: street index plus house number and letter.
type addr struct {
	street  uint16
	husnr   uint16
	bokstav uint8 // 0 none, 1 = 'A'
}

// person is the compact record. Dates are days since 1970-01-01.
type person struct {
	num      uint64
	birth    int32
	created  int32 // registration: birth, arrival or D-number issue
	end      int32 // date of death or emigration
	moveDate int32 // flyttedato of home; protection date for strengtFortrolig
	prevDate int32 // flyttedato of prev
	sivDate  int32
	nameDate int32 // when etternavn changed from oldEtter
	spouse   int32
	parent   [2]int32 // [0] mor, [1] far or medmor; -1 none
	fornavn  uint16   // indexes into Register.names; 0 = none
	mellom   uint16
	etter    uint16
	oldEtter uint16
	home     addr
	prev     addr
	land     uint8 // citizenship, index into countries
	dest     uint8 // emigration destination
	sivil    uint8
	status   uint8
	grad     uint8
	ansvar   uint8
	flags    uint8
}

// Where a person's home address belongs.
const (
	homeNone     = iota // strengt fortrolig: no residence data
	homeBosted          // current bostedsadresse
	homeHistoric        // emigrated: former bostedsadresse
	homeOpphold         // D-number: oppholdsadresse
)

func (p *person) homeKind() int {
	switch {
	case p.grad == gStrengtFortrolig:
		return homeNone
	case p.flags&fDNummer != 0:
		return homeOpphold
	case p.status == stUtflyttet:
		return homeHistoric
	}
	return homeBosted
}

func (p *person) female() bool { return p.flags&fFemale != 0 }

type street struct {
	name    uint16 // index into streetNames
	post    uint16 // index into Register.posts
	kommune uint16
}

type post struct {
	nr, sted string
	kommune  uint16
}

// Register is the synthetic population. It is safe for concurrent use;
// only uttrekk jobs change after Generate.
type Register struct {
	seed     int64
	ref      time.Time
	kommuner []string // the organisation's, from Config
	persons  []person
	names    []string
	streets  []street
	posts    []post
	// kommunePosts[k] lists the posts of kommune k.
	kommunePosts [][]uint16
	// postStreets[p] lists the streets of post p.
	postStreets [][]uint16

	byNum      []int32  // persons sorted by identity number
	nums       []uint64 // their numbers, for a cache-friendly binary search
	childStart []int32  // children of person i: children[childStart[i]:childStart[i+1]]
	children   []int32
	idx        searchIndex
	events     []event

	now  func() time.Time
	jobs jobStore
}

// Len returns the number of persons.
func (r *Register) Len() int { return len(r.persons) }

// generator state; discarded after Generate.
type gen struct {
	r        *Register
	rng      *rand.Rand
	n        int
	ref      int32
	ageCum   []int
	kommAll  []int // cumulative weights over all kommuner
	kommOrg  []int // over cfg.Kommuner (indexes in kommOrgIx)
	kommRest []int // over the others
	orgIx    []int
	restIx   []int
	individ  map[uint32]uint16
	normal   int // normal households so far
	// name table offsets
	fem, male, sur, ffem, fmale, fsur [2]int
}

// Age pyramid: relative size of each five-year band from age 0 (Norway, 2025, rounded).
var ageBands = []int{54, 58, 61, 61, 63, 68, 70, 67, 65, 68, 68, 65, 59, 53, 50, 39, 24, 13, 6, 2, 1}

const maxAge = 104

// Generate builds the population described by cfg.
func Generate(cfg Config) (*Register, error) {
	if cfg.N < 1 {
		return nil, fmt.Errorf("%w: population size must be at least 1", freg.ErrInvalid)
	}
	ref := cfg.Reference
	if ref.IsZero() {
		ref = DefaultReference
	}
	r := &Register{seed: cfg.Seed, ref: ref, kommuner: slices.Clone(cfg.Kommuner), now: time.Now}
	g := &gen{
		r:       r,
		rng:     rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15)),
		n:       cfg.N,
		ref:     dayOf(ref),
		individ: make(map[uint32]uint16, cfg.N/8),
	}
	if err := g.tables(cfg.Kommuner); err != nil {
		return nil, err
	}
	r.persons = make([]person, 0, cfg.N)
	for len(r.persons) < cfg.N {
		if err := g.household(); err != nil {
			return nil, err
		}
	}
	r.index()
	r.buildEvents()
	return r, nil
}

func (g *gen) tables(orgKommuner []string) error {
	r := g.r
	r.names = []string{""}
	add := func(list []string) [2]int {
		lo := len(r.names)
		r.names = append(r.names, list...)
		return [2]int{lo, len(r.names)}
	}
	g.fem, g.male, g.sur = add(femaleNames), add(maleNames), add(surnames)
	g.ffem, g.fmale, g.fsur = add(foreignFemaleNames), add(foreignMaleNames), add(foreignSurnames)

	inOrg := make([]bool, len(kommuneTable))
	for _, nr := range orgKommuner {
		k := kommuneIndex(nr)
		if k < 0 {
			return fmt.Errorf("%w: kommunenummer %q in population config is not a current kommune (SSB classification 131)", freg.ErrInvalid, nr)
		}
		inOrg[k] = true
	}
	r.kommunePosts = make([][]uint16, len(kommuneTable))
	for k, row := range kommuneTable {
		g.kommAll = append(g.kommAll, last(g.kommAll)+row.weight)
		if inOrg[k] {
			g.orgIx = append(g.orgIx, k)
			g.kommOrg = append(g.kommOrg, last(g.kommOrg)+row.weight)
		} else {
			g.restIx = append(g.restIx, k)
			g.kommRest = append(g.kommRest, last(g.kommRest)+row.weight)
		}
		// Each kommune takes its own rotation of the street names.
		rot := k * 13
		for j, pr := range row.post {
			pi := uint16(len(r.posts))
			r.posts = append(r.posts, post{nr: pr.nr, sted: pr.sted, kommune: uint16(k)})
			r.kommunePosts[k] = append(r.kommunePosts[k], pi)
			var ss []uint16
			for s := 0; s < streetsPerPost; s++ {
				ss = append(ss, uint16(len(r.streets)))
				name := (rot + j*streetsPerPost + s) % len(streetNames)
				r.streets = append(r.streets, street{name: uint16(name), post: pi, kommune: uint16(k)})
			}
			r.postStreets = append(r.postStreets, ss)
		}
	}
	for age := 0; age <= maxAge+1; age++ {
		w := 0
		if age > 0 {
			w = ageBands[min((age-1)/5, len(ageBands)-1)]
		}
		g.ageCum = append(g.ageCum, last(g.ageCum)+w)
	}
	return nil
}

func last(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	return xs[len(xs)-1]
}

// pick draws an index from cumulative weights.
func (g *gen) pick(cum []int) int {
	x := g.rng.IntN(cum[len(cum)-1])
	i, _ := slices.BinarySearch(cum, x+1)
	return i
}

// age draws an age in [lo, hi] from the pyramid.
func (g *gen) age(lo, hi int) int {
	a, b := g.ageCum[lo], g.ageCum[hi+1]
	x := a + g.rng.IntN(b-a)
	i, _ := slices.BinarySearch(g.ageCum, x+1)
	return i - 1
}

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

func (g *gen) between(a, b int32) int32 {
	if b <= a {
		return a
	}
	return a + int32(g.rng.IntN(int(b-a)+1))
}

func years(n int) int32 { return int32(n*365 + n/4) }

func (g *gen) birthForAge(age int) int32 {
	return g.ref - years(age) - 1 - int32(g.rng.IntN(365))
}

// kommune draws a municipality: about 60 % from the organisation's.
func (g *gen) kommune() int {
	switch {
	case len(g.orgIx) > 0 && (len(g.restIx) == 0 || g.chance(0.6)):
		return g.orgIx[g.pick(g.kommOrg)]
	case len(g.restIx) > 0 && len(g.orgIx) > 0:
		return g.restIx[g.pick(g.kommRest)]
	}
	return g.pick(g.kommAll)
}

func (g *gen) address(k int) addr {
	posts := g.r.kommunePosts[k]
	ss := g.r.postStreets[posts[g.rng.IntN(len(posts))]]
	a := addr{street: ss[g.rng.IntN(len(ss))], husnr: uint16(1 + min(g.rng.IntN(90), g.rng.IntN(90)))}
	if g.chance(0.12) {
		a.bokstav = uint8(1 + g.rng.IntN(4))
	}
	return a
}

func (g *gen) name(r [2]int) uint16 { return uint16(r[0] + g.rng.IntN(r[1]-r[0])) }

// number assigns a synthetic identity number; individnumre are handed out
// per birth date, kind and sex so that all numbers are unique.
func (g *gen) number(p *person) error {
	kind := ident.Foedselsnummer
	if p.flags&fDNummer != 0 {
		kind = ident.DNummer
	}
	y, m, d := civil(p.birth)
	birth := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	lo, hi, ok := ident.IndividRange(y)
	if !ok {
		return fmt.Errorf("synth: birth year %d outside the individnummer table", y)
	}
	male := 1
	if p.female() {
		male = 0
	}
	key := uint32(p.birth+200000)<<2 | uint32(kind-1)<<1 | uint32(male)
	for c := int(g.individ[key]); ; c++ {
		// The ninth digit is odd for men.
		individ := lo + 2*c + male
		if individ > hi {
			return fmt.Errorf("synth: individnumre exhausted for a birth date %d %d %d %d", y, c, lo, hi)
		}
		s, err := ident.Build(kind, true, birth, individ)
		if errors.Is(err, ident.ErrNotIssuable) {
			continue
		}
		if err != nil {
			return err
		}
		g.individ[key] = uint16(c + 1)
		var n uint64
		for i := 0; i < len(s); i++ {
			n = n*10 + uint64(s[i]-'0')
		}
		p.num = n
		return nil
	}
}

func (g *gen) room() int { return g.n - len(g.r.persons) }

func (g *gen) add(p person) (int32, error) {
	if err := g.number(&p); err != nil {
		return -1, err
	}
	g.r.persons = append(g.r.persons, p)
	return int32(len(g.r.persons) - 1), nil
}

func blank() person {
	return person{spouse: -1, parent: [2]int32{-1, -1}}
}

func (g *gen) household() error {
	switch x := g.rng.Float64(); {
	case x < 0.085:
		return g.dnumber()
	case x < 0.125:
		return g.emigrant()
	case x < 0.19:
		return g.deceased()
	}
	return g.normalHousehold()
}

// adult fills name, sex and birth of a person born in Norway or abroad.
func (g *gen) adult(p *person, birth int32, female, foreign bool) {
	p.birth, p.created = birth, birth
	fem, male, sur := g.fem, g.male, g.sur
	if foreign {
		fem, male, sur = g.ffem, g.fmale, g.fsur
	}
	if female {
		p.flags |= fFemale
		p.fornavn = g.name(fem)
	} else {
		p.fornavn = g.name(male)
	}
	p.etter = g.name(sur)
	if !foreign && g.chance(0.15) {
		p.mellom = g.name(g.sur)
	}
}

// history gives an adult living at home since moveDate a former address.
func (g *gen) history(p *person, k int) {
	adultFrom := p.birth + years(18)
	if p.moveDate-adultFrom < 365 || !g.chance(0.7) {
		return
	}
	if !g.chance(0.6) {
		k = g.kommune()
	}
	p.flags |= fHasPrev
	p.prev = g.address(k)
	p.prevDate = g.between(adultFrom, p.moveDate-180)
}

func (g *gen) dnumber() error {
	p := blank()
	g.adult(&p, g.birthForAge(20+g.rng.IntN(36)), g.chance(0.35), true)
	p.flags |= fDNummer
	p.land = uint8(1 + g.rng.IntN(foreignD))
	p.created = g.between(max(p.birth+years(18), g.ref-years(12)), g.ref-1)
	p.status = stMidlertidig
	switch {
	case g.ref-p.created > years(5) && g.chance(0.6):
		p.status = stInaktiv
	case g.chance(0.1):
		p.status = stAktiv
	}
	p.home = g.address(g.kommune())
	p.moveDate = p.created
	_, err := g.add(p)
	return err
}

// former builds a person who lived at an address until ended (emigration
// or death) at an age from minAge to minAge+span.
func (g *gen) former(ended int32, minAge, span int, status uint8) person {
	p := blank()
	g.adult(&p, ended-years(minAge+g.rng.IntN(span+1))-int32(g.rng.IntN(365)), g.chance(0.5), false)
	k := g.kommune()
	p.home = g.address(k)
	p.moveDate = g.between(p.birth+years(18), ended-90)
	g.history(&p, k)
	p.status, p.end = status, ended
	return p
}

func (g *gen) emigrant() error {
	p := g.former(g.between(g.ref-years(15), g.ref-1), 20, 40, stUtflyttet)
	p.dest = emigrationLands[g.rng.IntN(len(emigrationLands))]
	_, err := g.add(p)
	return err
}

func (g *gen) deceased() error {
	p := g.former(g.between(g.ref-years(30), g.ref-1), 55, 45, stDoed)
	if x := g.rng.IntN(3); x > 0 {
		p.sivil = []uint8{sivSkilt, sivEnke}[x-1]
		p.sivDate = g.between(p.birth+years(30), p.end)
	}
	_, err := g.add(p)
	return err
}

// home is what the members of a household share.
type home struct {
	kommune   int
	addr      addr
	moveDate  int32
	grad      uint8
	land      uint8
	arrive    int32 // arrival date of immigrants
	immigrant bool
}

// newHome sets up the address of a household whose head is adult from
// adultFrom; the household moves in before notAfter.
func (g *gen) newHome(adultFrom, notAfter int32) home {
	g.normal++
	h := home{kommune: g.kommune()}
	h.addr = g.address(h.kommune)
	h.moveDate = g.between(max(adultFrom, g.ref-years(25)), notAfter)
	// Protection is counted over households so that even small
	// populations hold one strengt fortrolig and one fortrolig household.
	switch {
	case g.normal%1000 == 1:
		h.grad = gStrengtFortrolig
	case g.normal%100 == 50:
		h.grad = gFortrolig
	}
	if g.chance(0.12) {
		h.land = uint8(1 + g.rng.IntN(len(countries)-1))
		h.arrive, h.immigrant = g.between(adultFrom, notAfter), true
	}
	return h
}

// settle places p in household h.
func (g *gen) settle(p *person, h home, isAdult bool) {
	p.land = h.land
	p.grad = h.grad
	if h.immigrant && h.arrive > p.birth {
		p.created = h.arrive
	}
	if h.grad == gStrengtFortrolig {
		// No residence data at all; moveDate records the protection.
		p.moveDate = max(p.birth, h.moveDate)
		return
	}
	p.home = h.addr
	p.moveDate = max(p.birth, h.moveDate)
	if isAdult {
		g.history(p, h.kommune)
	}
}

func (g *gen) normalHousehold() error {
	headAge := g.age(18, 100)
	x := g.rng.Float64()
	var kind int // 0 single, 1 couple, 2 couple with children, 3 single parent
	switch {
	case headAge < 25:
		kind = pickKind(x, 0.75, 0.22, 0.03)
	case headAge < 35:
		kind = pickKind(x, 0.40, 0.25, 0.30)
	case headAge < 50:
		kind = pickKind(x, 0.22, 0.12, 0.52)
	case headAge < 67:
		kind = pickKind(x, 0.30, 0.50, 0.15)
	default:
		kind = pickKind(x, 0.45, 0.55, 0)
	}
	switch {
	case kind >= 2 && g.room() < 3, kind == 1 && g.room() < 2:
		kind = 0
	}
	switch kind {
	case 0:
		return g.single(headAge)
	case 1:
		_, _, err := g.couple(headAge, 0)
		return err
	case 2:
		kids := 1 + g.pick([]int{35, 80, 95, 100})
		a, b, err := g.couple(headAge, kids)
		if err != nil {
			return err
		}
		return g.children(a, [2]int32{a, b}, kids, ansvarFelles)
	}
	return g.singleParent(headAge)
}

func pickKind(x, single, couple, withChildren float64) int {
	switch {
	case x < single:
		return 0
	case x < single+couple:
		return 1
	case x < single+couple+withChildren:
		return 2
	}
	return 3
}

func (g *gen) single(age int) error {
	p := blank()
	g.adult(&p, g.birthForAge(age), g.chance(0.5), false)
	widowed := age >= 67 && g.room() >= 2 && g.chance(0.5)
	var died int32
	notAfter := g.ref - 1
	if widowed {
		died = g.between(max(g.ref-years(15), p.birth+years(40)), g.ref-30)
		notAfter = died - 1
	}
	h := g.newHome(p.birth+years(18), notAfter)
	g.settle(&p, h, true)
	if h.grad == gUgradert && age >= 25 && age < 80 && g.chance(0.003) {
		p.grad = gKlient
	}
	if !widowed {
		if age >= 35 && g.chance(0.3) {
			p.sivil = sivSkilt
			p.sivDate = g.between(p.birth+years(28), g.ref-1)
		}
		_, err := g.add(p)
		return err
	}
	// The late spouse lived at the same address and is still registered.
	s := blank()
	g.adult(&s, p.birth+int32(g.rng.IntN(6*365))-3*365, !p.female(), false)
	g.settle(&s, h, true)
	married := g.between(max(p.birth, s.birth)+years(20), h.moveDate)
	s.status, s.end = stDoed, died
	s.sivil, s.sivDate = sivGift, married
	p.sivil, p.sivDate = sivEnke, died
	a, err := g.add(p)
	if err != nil {
		return err
	}
	b, err := g.add(s)
	if err != nil {
		return err
	}
	g.r.persons[a].spouse, g.r.persons[b].spouse = b, a
	return nil
}

// couple adds two adults sharing a home; with children coming, the first
// is a woman. It returns their indexes.
func (g *gen) couple(age, kids int) (int32, int32, error) {
	a, b := blank(), blank()
	aFemale := kids > 0 || g.chance(0.5)
	bFemale := !aFemale
	if g.chance(0.01) {
		bFemale = aFemale // same-sex couple
	}
	g.adult(&a, g.birthForAge(age), aFemale, false)
	g.adult(&b, clampAdult(g, a.birth+int32(g.rng.NormFloat64()*3*365)), bFemale, false)
	h := g.newHome(max(a.birth, b.birth)+years(18), g.ref-1)
	g.settle(&a, h, true)
	g.settle(&b, h, true)
	married := g.chance(0.55)
	if married {
		d := g.between(max(a.birth, b.birth)+years(20), g.ref-1)
		a.sivil, a.sivDate, b.sivil, b.sivDate = sivGift, d, sivGift, d
		if aFemale != bFemale && g.chance(0.5) {
			a.oldEtter, a.etter, a.nameDate = a.etter, b.etter, d
		}
	}
	ia, err := g.add(a)
	if err != nil {
		return 0, 0, err
	}
	ib, err := g.add(b)
	if err != nil {
		return 0, 0, err
	}
	if married {
		g.r.persons[ia].spouse, g.r.persons[ib].spouse = ib, ia
	}
	return ia, ib, nil
}

// clampAdult keeps a partner's birth date at least 18 years before now.
func clampAdult(g *gen, birth int32) int32 {
	if limit := g.ref - years(18) - 1; birth > limit {
		return limit - int32(g.rng.IntN(365))
	}
	return birth
}

// singleParent adds a parent living alone with children and, usually, the
// other parent in a home of their own.
func (g *gen) singleParent(age int) error {
	p := blank()
	mother := g.chance(0.8)
	g.adult(&p, g.birthForAge(age), mother, false)
	h := g.newHome(p.birth+years(18), g.ref-1)
	g.settle(&p, h, true)
	kids := min(1+g.pick([]int{50, 85, 100}), g.room()-1)
	other := int32(-1)
	if g.room() >= kids+2 && g.chance(0.7) {
		o := blank()
		g.adult(&o, clampAdult(g, p.birth+int32(g.rng.NormFloat64()*3*365)), !mother, false)
		oh := g.newHome(o.birth+years(18), g.ref-1)
		g.settle(&o, oh, true)
		if g.chance(0.5) {
			d := g.between(max(p.birth, o.birth)+years(25), g.ref-1)
			p.sivil, p.sivDate, o.sivil, o.sivDate = sivSkilt, d, sivSkilt, d
		}
		var err error
		if other, err = g.add(o); err != nil {
			return err
		}
	}
	ip, err := g.add(p)
	if err != nil {
		return err
	}
	ansvar := ansvarMor
	if !mother {
		ansvar = ansvarFar
	}
	if other >= 0 && g.chance(0.85) {
		ansvar = ansvarFelles
	}
	if mother {
		return g.children(ip, [2]int32{ip, other}, kids, ansvar)
	}
	return g.children(ip, [2]int32{other, ip}, kids, ansvar)
}

// children adds kids living with resident, one of their parents
// (parents[0] mor, parents[1] far or medmor; -1 when not registered).
func (g *gen) children(resident int32, parents [2]int32, kids int, ansvar uint8) error {
	rp := g.r.persons[resident]
	motherBirth := rp.birth
	if parents[0] >= 0 {
		motherBirth = g.r.persons[parents[0]].birth
	}
	from := max(motherBirth+years(20), g.ref-years(18)+1)
	if from >= g.ref-1 {
		return nil
	}
	other := int32(-1) // the parent living elsewhere, if any
	for _, q := range parents {
		if q >= 0 && q != resident {
			other = q
		}
	}
	h := home{addr: rp.home, moveDate: rp.moveDate, grad: rp.grad, land: rp.land}
	if rp.created > rp.birth {
		h.arrive, h.immigrant = rp.created, true
	}
	for i := 0; i < kids && g.room() > 0; i++ {
		c := blank()
		birth := g.between(from, g.ref-1)
		g.adult(&c, birth, g.chance(0.49), false)
		c.etter = rp.etter
		if rp.flags&fHasPrev != 0 && birth < rp.moveDate {
			c.flags |= fHasPrev
			c.prev, c.prevDate = rp.prev, max(birth, rp.prevDate)
		}
		g.settle(&c, h, false)
		c.parent = parents
		c.ansvar = ansvar
		if other >= 0 && ansvar == ansvarFelles && rp.grad == gUgradert &&
			g.r.persons[other].grad == gUgradert && g.r.persons[other].home != rp.home && g.chance(0.3) {
			c.flags |= fDeltBosted
		}
		if _, err := g.add(c); err != nil {
			return err
		}
	}
	return nil
}
