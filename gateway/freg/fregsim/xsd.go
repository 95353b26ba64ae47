package fregsim

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"folkevakt/gateway/freg"
)

// The three xsd resources. Skatteetaten's own XSDs are third-party
// documents that the repository does not carry, so fregsim describes what
// it serves itself: an XML Schema generated from folkevakt's model of the
// same documents (freg.Person, freg.EventDocument, freg.FeedItem), every
// element optional as in FREG's JSON.
var schemaRoots = map[string]struct {
	name string
	typ  reflect.Type
	list bool
}{
	"personer/xsd":      {"folkeregisterperson", reflect.TypeFor[freg.Person](), false},
	"hendelser/xsd":     {"dokumentForHendelse", reflect.TypeFor[freg.EventDocument](), false},
	"hendelser/feedxsd": {"lagretHendelse", reflect.TypeFor[freg.FeedItem](), true},
}

func (s *server) schema(w http.ResponseWriter, r *http.Request) {
	if err := onlyParams(r.URL.Query()); err != nil {
		s.writeError(w, r, err)
		return
	}
	root := schemaRoots[strings.TrimPrefix(r.URL.Path, Prefix+"/v1/")]
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">` + "\n")
	maxOccurs := "1"
	if root.list {
		maxOccurs = "unbounded"
	}
	fmt.Fprintf(&b, `  <xs:element name="%s" type="%s" maxOccurs="%s"/>`+"\n", root.name, root.typ.Name(), maxOccurs)
	done := map[reflect.Type]bool{}
	writeComplexType(&b, root.typ, done)
	b.WriteString("</xs:schema>\n")
	h := w.Header()
	h.Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(b.String()))
}

// writeComplexType writes t and every struct type it uses, once each.
func writeComplexType(b *strings.Builder, t reflect.Type, done map[reflect.Type]bool) {
	if done[t] {
		return
	}
	done[t] = true
	var nested []reflect.Type
	fmt.Fprintf(b, "  <xs:complexType name=\"%s\">\n    <xs:sequence>\n", t.Name())
	for _, f := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous || name == "" || name == "-" {
			continue
		}
		ft, max := f.Type, "1"
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Slice {
			ft, max = ft.Elem(), "unbounded"
		}
		var typ string
		switch ft.Kind() {
		case reflect.Struct:
			typ = ft.Name()
			nested = append(nested, ft)
		case reflect.Bool:
			typ = "xs:boolean"
		case reflect.Int, reflect.Int32, reflect.Int64:
			typ = "xs:long"
		case reflect.Map, reflect.Interface:
			fmt.Fprintf(b, "      <xs:element name=\"%s\" minOccurs=\"0\" maxOccurs=\"%s\">\n        <xs:complexType><xs:sequence><xs:any processContents=\"lax\" minOccurs=\"0\" maxOccurs=\"unbounded\"/></xs:sequence></xs:complexType>\n      </xs:element>\n", name, max)
			continue
		default:
			typ = "xs:string"
		}
		fmt.Fprintf(b, "      <xs:element name=\"%s\" type=\"%s\" minOccurs=\"0\" maxOccurs=\"%s\"/>\n", name, typ, max)
	}
	b.WriteString("    </xs:sequence>\n  </xs:complexType>\n")
	for _, n := range nested {
		writeComplexType(b, n, done)
	}
}
