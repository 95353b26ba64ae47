package scim

import (
	"slices"
	"strings"

	"github.com/elimity-com/scim/schema"
)

// Schema URIs this endpoint speaks.
const (
	userSchemaURI       = schema.UserSchema
	groupSchemaURI      = schema.GroupSchema
	enterpriseSchemaURI = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// legacyGroupSchemaURI is sent by Entra's provisioning service next to the
	// core Group URI on group creation; it defines no attributes.
	legacyGroupSchemaURI = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
	patchOpURI           = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	// managerPath is the enterprise manager attribute addressed by URN, the
	// form Entra uses in PATCH.
	managerPath = enterpriseSchemaURI + ":manager"
)

// resourceSchema is the core schema of a resource type with its extensions
// and the schema URIs a client may list in "schemas".
type resourceSchema struct {
	core     schema.Schema
	exts     []schema.Schema
	accepted []string
}

// externalIDAttribute is part of the core schemas (not only a common
// attribute) because elimity validates filters against the core schema and
// Entra matches by externalId.
func externalIDAttribute() schema.CoreAttribute {
	return schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
		CaseExact:  true,
		Name:       "externalId",
		Mutability: schema.AttributeMutabilityReadWrite(),
	}))
}

// withExternalID returns attrs plus externalId, clipped: elimity appends to
// the schema's attribute slice on every request (schemaWithCommon), which is
// a data race between concurrent requests whenever the slice has spare
// capacity.
func withExternalID(attrs schema.Attributes) schema.Attributes {
	return slices.Clip(append(slices.Clip(attrs), externalIDAttribute()))
}

func userResourceSchema() resourceSchema {
	core := schema.CoreUserSchema()
	core.Attributes = withExternalID(core.Attributes)
	return resourceSchema{
		core:     core,
		exts:     []schema.Schema{schema.ExtensionEnterpriseUser()},
		accepted: []string{userSchemaURI, enterpriseSchemaURI},
	}
}

func groupResourceSchema() resourceSchema {
	core := schema.CoreGroupSchema()
	core.Attributes = withExternalID(core.Attributes)
	return resourceSchema{
		core:     core,
		accepted: []string{groupSchemaURI, legacyGroupSchemaURI},
	}
}

// ext returns the extension schema whose URI equals uri (case-insensitive).
func (rs resourceSchema) ext(uri string) (schema.Schema, bool) {
	for _, e := range rs.exts {
		if strings.EqualFold(e.ID, uri) {
			return e, true
		}
	}
	return schema.Schema{}, false
}

// lookup resolves an attribute name within the core schema (uri "") or an
// extension. It returns the key under which the attribute's container is
// stored in a resource document ("" for the top level, else the canonical
// extension URI) and the attribute definition, whose Name() is canonical.
func (rs resourceSchema) lookup(uri, name string) (container string, attr schema.CoreAttribute, ok bool) {
	s := rs.core
	if uri != "" && !strings.EqualFold(uri, rs.core.ID) {
		if s, ok = rs.ext(uri); !ok {
			return "", schema.CoreAttribute{}, false
		}
		container = s.ID
	}
	attr, ok = s.Attributes.ContainsAttribute(name)
	return container, attr, ok
}

// accepts reports whether uri may appear in a resource's "schemas".
func (rs resourceSchema) accepts(uri string) bool {
	for _, a := range rs.accepted {
		if strings.EqualFold(a, uri) {
			return true
		}
	}
	return false
}
