package terraform

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// instanceAddress formats a resource instance address exactly as Terraform
// prints it (`terraform state list`, plan output), so users can paste what
// Ripple shows into terraform commands and back:
//
//	aws_instance.web            no count/for_each
//	module.a.aws_instance.web[0]  count
//	aws_s3_bucket.b["logs"]     for_each
//
// key is nil, an int or a string.
func instanceAddress(module, typ, name string, key any) string {
	var b strings.Builder
	if module != "" {
		b.WriteString(module)
		b.WriteByte('.')
	}
	b.WriteString(typ)
	b.WriteByte('.')
	b.WriteString(name)
	switch k := key.(type) {
	case int:
		fmt.Fprintf(&b, "[%d]", k)
	case string:
		b.WriteByte('[')
		b.WriteString(quoteKey(k))
		b.WriteByte(']')
	}
	return b.String()
}

// configAddress is the address of a resource without any instance key,
// also stripped from the module path: the form Terraform records in an
// instance's "dependencies" (a module called with for_each appears as
// module.edge["eu"] in "module" but as module.edge in dependencies).
func configAddress(module, typ, name string) string {
	if module == "" {
		return typ + "." + name
	}
	return stripKeys(module) + "." + typ + "." + name
}

// quoteKey quotes a for_each key the way Terraform does in addresses: HCL
// quoted-string syntax, not Go or JSON syntax. The differences matter for
// matching what users see: "${" and "%{" are escaped by doubling the
// introducer ("$${"), and non-printable characters use \uXXXX or
// \UXXXXXXXX. Checked against `terraform state list` in the fixtures.
func quoteKey(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch r {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '$', '%':
			b.WriteRune(r)
			if strings.HasPrefix(s[i+1:], "{") {
				b.WriteRune(r)
			}
		default:
			switch {
			case unicode.IsPrint(r):
				b.WriteRune(r)
			case r < 0x10000:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// stripKeys removes instance keys ("[0]", `["eu"]`) from an address,
// skipping over quoted keys so that brackets, dots or quotes inside a
// for_each key cannot confuse it.
func stripKeys(s string) string {
	if !strings.Contains(s, "[") {
		return s
	}
	var b strings.Builder
	inKey, inQuote, escaped := false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inQuote = false
			}
		case inKey:
			switch c {
			case '"':
				inQuote = true
			case ']':
				inKey = false
			}
		case c == '[':
			inKey = true
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// isDataAddress reports whether a dependency names a data resource
// ("data.aws_ami.x", "module.a.data.aws_ami.x"). Data sources are not in
// the CMDB, so dependencies on them are dropped without being counted as
// unresolved.
func isDataAddress(dep string) bool {
	parts := strings.Split(stripKeys(dep), ".")
	i := 0
	for i+1 < len(parts) && parts[i] == "module" {
		i += 2
	}
	return i < len(parts) && parts[i] == "data"
}

// providerSource shortens the provider configuration address Terraform
// writes ("provider[\"registry.terraform.io/hashicorp/aws\"]", possibly
// prefixed by a module path and followed by an alias) to the provider's
// source address, which is what says which cloud a resource lives in.
// Anything not in that form (legacy "provider.aws") is kept as written.
func providerSource(p string) string {
	const open = `provider["`
	i := strings.Index(p, open)
	if i < 0 {
		return p
	}
	rest := p[i+len(open)-1:] // from the opening quote
	escaped := false
	for j := 1; j < len(rest); j++ {
		switch {
		case escaped:
			escaped = false
		case rest[j] == '\\':
			escaped = true
		case rest[j] == '"':
			if s, err := strconv.Unquote(rest[:j+1]); err == nil {
				return s
			}
			return rest[1:j]
		}
	}
	return p
}

// validIdent reports whether s is an HCL identifier (resource type or
// name): a letter or underscore, then letters, digits, underscores or
// hyphens. Checking it keeps a corrupt state from producing addresses that
// Terraform itself could never print.
func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', unicode.IsLetter(r):
		case i > 0 && (r == '-' || unicode.IsDigit(r)):
		default:
			return false
		}
	}
	return true
}
