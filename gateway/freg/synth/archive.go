package synth

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"folkevakt/gateway/freg"
)

// The archive: every feed event points at two documents, the event itself
// (hendelsesdokument) and the person as the event left them
// (persondokument). Both are rebuilt on demand from the event's position.

const msgUnknownDocument = "dokument ikke funnet"

// eventElements are the elements an event type changes (egenskapshendelse).
var eventElements = map[uint8][]string{
	evOpprettet:          {"identifikasjonsnummer", "navn", "kjoenn", "foedsel", "status"},
	evNavn:               {"navn"},
	evBosted:             {"bostedsadresse"},
	evBostedPrev:         {"bostedsadresse"},
	evSivilstand:         {"sivilstand"},
	evDoed:               {"doedsfall", "status"},
	evUtflyttet:          {"utflytting", "status"},
	evAdressebeskyttelse: {"adressebeskyttelse"},
	evFamilierelasjon:    {"familierelasjon"},
	evForeldreansvar:     {"foreldreansvar"},
	evDeltBosted:         {"deltBosted"},
	evOppholdsadresse:    {"oppholdsadresse"},
}

// ArchivedPerson returns the person document of a feed event.
func (r *Register) ArchivedPerson(ctx context.Context, docID string, parts []string) (*freg.Person, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sel, err := freg.ParseParts(parts)
	if err != nil {
		return nil, fmt.Errorf("%w: part: %v", freg.ErrInvalid, err)
	}
	seq, ok := r.seqOfDoc(docPerson, docID)
	if !ok {
		return nil, fmt.Errorf("%w: unknown dokumentidentifikator", freg.ErrNotFound)
	}
	return r.asOf(seq, sel)
}

// asOf is the person of event seq as that event left them: entries
// registered later are dropped and entries that ended later are current.
func (r *Register) asOf(seq int64, sel freg.Selection) (*freg.Person, error) {
	e := r.events[seq-1]
	full := sel
	full.Historikk = true
	p := r.materialise(e.person, full)
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	cut := time.Unix(e.at, 0)
	for name, raw := range doc {
		var entries []map[string]any
		single := len(raw) > 0 && raw[0] == '{'
		if single {
			var one map[string]any
			if err := json.Unmarshal(raw, &one); err != nil {
				return nil, err
			}
			entries = []map[string]any{one}
		} else if err := json.Unmarshal(raw, &entries); err != nil {
			return nil, err
		}
		var kept []map[string]any
		for _, x := range entries {
			if after(x["ajourholdstidspunkt"], cut) {
				continue
			}
			if after(x["opphoerstidspunkt"], cut) {
				delete(x, "opphoerstidspunkt")
				x["erGjeldende"] = true
			}
			if sel.Historikk || x["erGjeldende"] == true {
				kept = append(kept, x)
			}
		}
		switch {
		case len(kept) == 0:
			delete(doc, name)
		case single:
			doc[name], _ = json.Marshal(kept[0])
		default:
			doc[name], _ = json.Marshal(kept)
		}
	}
	b, _ = json.Marshal(doc)
	out := &freg.Person{}
	if err := json.Unmarshal(b, out); err != nil {
		return nil, err
	}
	return out, nil
}

// after reports whether v is a timestamp later than cut.
func after(v any, cut time.Time) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	t, err := time.Parse(time.RFC3339, s)
	return err == nil && t.After(cut)
}

// ArchivedBulkLookup looks up at most 1,000 person documents.
func (r *Register) ArchivedBulkLookup(ctx context.Context, docIDs []string, parts []string) ([]freg.ArchivedResult, error) {
	if len(docIDs) > MaxBulk {
		return nil, fmt.Errorf("%w: at most %d dokumentidentifikator", freg.ErrInvalid, MaxBulk)
	}
	if _, err := freg.ParseParts(parts); err != nil {
		return nil, fmt.Errorf("%w: part: %v", freg.ErrInvalid, err)
	}
	out := make([]freg.ArchivedResult, len(docIDs))
	for k, id := range docIDs {
		out[k].Dokumentidentifikator = id
		p, err := r.ArchivedPerson(ctx, id, parts)
		switch {
		case err == nil:
			out[k].Folkeregisterperson = p
		case ctx.Err() != nil:
			return nil, ctx.Err()
		default:
			out[k].Feilmelding = &freg.Feilmelding{Feilmelding: msgUnknownDocument}
		}
	}
	return out, nil
}

// Event returns the event document of a feed event.
func (r *Register) Event(ctx context.Context, docID string) (*freg.EventDocument, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	seq, ok := r.seqOfDoc(docHendelse, docID)
	if !ok {
		return nil, fmt.Errorf("%w: unknown hendelsesidentifikator", freg.ErrNotFound)
	}
	e := r.events[seq-1]
	at := dateTimeString(e.at)
	doc := &freg.EventDocument{Dokumentidentifikator: docID, Skjemaversjon: "1.0", Hendelse: freg.EventContents{
		Folkeregisteridentifikator: r.persons[e.person].ident(), Hendelsestype: eventNames[e.typ], Ajourholdstidspunkt: at}}
	sel, _ := freg.ParseParts(eventElements[e.typ])
	sel.Historikk = true
	b, err := json.Marshal(r.materialise(e.person, sel))
	if err != nil {
		return nil, err
	}
	var person map[string]json.RawMessage
	json.Unmarshal(b, &person)
	entitetsendring := "registrereNy"
	for _, name := range eventElements[e.typ] {
		var entries []map[string]any
		if raw := person[name]; len(raw) > 0 && raw[0] == '{' {
			var one map[string]any
			json.Unmarshal(raw, &one)
			entries = append(entries, one)
		} else {
			json.Unmarshal(raw, &entries)
		}
		// The entry this event registered.
		for _, x := range entries {
			if x["ajourholdstidspunkt"] != at {
				continue
			}
			delete(x, "erGjeldende") // an event's element has no erGjeldende
			delete(x, "opphoerstidspunkt")
			doc.Hendelse.Egenskapshendelse = append(doc.Hendelse.Egenskapshendelse,
				map[string]any{"entitet": name, "entitetsendring": entitetsendring, name: x})
			break
		}
	}
	return doc, nil
}

// Events returns the known ones of at most 1,000 event documents.
func (r *Register) Events(ctx context.Context, docIDs []string) ([]freg.EventDocument, error) {
	if len(docIDs) > MaxBulk {
		return nil, fmt.Errorf("%w: at most %d dokumentidentifikator", freg.ErrInvalid, MaxBulk)
	}
	out := []freg.EventDocument{}
	for _, id := range docIDs {
		d, err := r.Event(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		out = append(out, *d)
	}
	return out, nil
}

// OrderCompleteExtract orders a komplett uttrekk: the newest person
// document of everyone in the feed up to upTo.
func (r *Register) OrderCompleteExtract(ctx context.Context, upTo int64) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if upTo < 0 {
		return "", fmt.Errorf("%w: feedsekvensnr must not be negative", freg.ErrInvalid)
	}
	if upTo == 0 || upTo > int64(len(r.events)) {
		upTo = int64(len(r.events))
	}
	last := make([]int64, len(r.persons))
	for s := int64(1); s <= upTo; s++ {
		last[r.events[s-1].person] = s
	}
	var seqs []int64
	for _, s := range last {
		if s != 0 {
			seqs = append(seqs, s)
		}
	}
	jobID, err := newUUID()
	if err != nil {
		return "", err
	}
	r.jobs.add(&job{id: jobID, created: r.now(), docs: seqs, komplett: true})
	return jobID, nil
}
