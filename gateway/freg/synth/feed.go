package synth

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"folkevakt/gateway/freg"
)

// FeedPageSize is FREG's fixed page size of the hendelsesliste.
const FeedPageSize = 1000

// event is one entry of the hendelsesliste; sequence number = position + 1.
type event struct {
	at     int64
	person int32
	typ    uint8
}

// buildEvents replays the population's history as FREG events in time order.
func (r *Register) buildEvents() {
	ev := make([]event, 0, len(r.persons)*3)
	var created int64
	add := func(i int32, typ uint8, day int32) {
		// What happened before registration (an immigrant's marriage)
		// arrived with personErOpprettet.
		if at := r.at(i, typ, day); at > created {
			ev = append(ev, event{at: at, person: i, typ: typ})
		}
	}
	for i := range r.persons {
		id := int32(i)
		p := &r.persons[i]
		created = r.at(id, evOpprettet, p.created)
		ev = append(ev, event{at: created, person: id, typ: evOpprettet})
		if p.oldEtter != 0 {
			add(id, evNavn, p.nameDate)
		}
		switch p.homeKind() {
		case homeNone:
			add(id, evAdressebeskyttelse, p.moveDate)
		case homeBosted, homeHistoric:
			if p.flags&fHasPrev != 0 && p.prevDate > p.created {
				add(id, evBostedPrev, p.prevDate)
			}
			if p.moveDate > p.created {
				add(id, evBosted, p.moveDate)
			}
			if p.grad == gFortrolig {
				add(id, evAdressebeskyttelse, p.moveDate)
			}
		}
		if p.sivil != sivUgift {
			if p.sivil == sivEnke && p.spouse >= 0 {
				add(id, evSivilstand, r.persons[p.spouse].sivDate)
			}
			add(id, evSivilstand, p.sivDate)
		}
		if p.spouse >= 0 && p.sivil == sivGift {
			add(id, evFamilierelasjon, p.sivDate)
		}
		for _, c := range r.children[r.childStart[i]:r.childStart[i+1]] {
			add(id, evFamilierelasjon, r.persons[c].created)
			if k := slices.Index(r.persons[c].parent[:], id); responsible(r.persons[c].ansvar, k) {
				add(id, evForeldreansvar, r.persons[c].created)
			}
		}
		if p.flags&fDeltBosted != 0 {
			add(id, evDeltBosted, max(p.birth, r.persons[r.otherParent(p)].moveDate))
		}
		switch p.status {
		case stDoed:
			add(id, evDoed, p.end)
		case stUtflyttet:
			add(id, evUtflyttet, p.end)
		}
	}
	// Events equal in every field are interchangeable, so an unstable
	// sort is deterministic.
	slices.SortFunc(ev, func(a, b event) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.person, b.person), cmp.Compare(a.typ, b.typ))
	})
	r.events = ev
}

// Document kinds of the feed's identifiers.
const (
	docHendelse uint64 = 1
	docPerson   uint64 = 2
)

// docID is a deterministic document identifier in UUID form. Its last group
// carries the sequence number under a mask, so that the document can be
// found again from its identifier (seqOfDoc).
func (r *Register) docID(kind uint64, seq int64) string {
	a := mix(uint64(r.seed) ^ kind<<56 ^ uint64(seq))
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, a>>16&0xffff, a&0xfff, a>>48&0x3fff|0x8000, (uint64(seq)^r.docMask(kind))&0xffffffffffff)
}

func (r *Register) docMask(kind uint64) uint64 {
	return mix(uint64(r.seed)^kind<<56^0xd0c) & 0xffffffffffff
}

// seqOfDoc returns the feed position of a document identifier of kind.
func (r *Register) seqOfDoc(kind uint64, id string) (int64, bool) {
	if len(id) != 36 {
		return 0, false
	}
	x, err := strconv.ParseUint(id[24:], 16, 64)
	if err != nil {
		return 0, false
	}
	seq := int64((x ^ r.docMask(kind)) & 0xffffffffffff)
	if seq < 1 || seq > int64(len(r.events)) || r.docID(kind, seq) != id {
		return 0, false
	}
	return seq, true
}

// Feed returns up to FeedPageSize events from seq (inclusive).
func (r *Register) Feed(ctx context.Context, seq int64) ([]freg.FeedItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if seq < 1 {
		return nil, fmt.Errorf("%w: seq must be at least 1", freg.ErrInvalid)
	}
	if seq > int64(len(r.events)) {
		return []freg.FeedItem{}, nil
	}
	page := r.events[seq-1 : min(seq-1+FeedPageSize, int64(len(r.events)))]
	out := make([]freg.FeedItem, len(page))
	for k, e := range page {
		s := seq + int64(k)
		out[k] = freg.FeedItem{Sekvensnummer: s, Hendelse: freg.Hendelse{
			Folkeregisteridentifikator: r.persons[e.person].ident(),
			Hendelsetype:               eventNames[e.typ],
			Hendelsesdokument:          r.docID(docHendelse, s),
			Persondokument:             r.docID(docPerson, s),
			Ajourholdstidspunkt:        dateTimeString(e.at),
		}}
	}
	return out, nil
}

// LastSequence returns the sequence number of the newest event.
func (r *Register) LastSequence(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return int64(len(r.events)), nil
}
