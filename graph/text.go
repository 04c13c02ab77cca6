package graph

import (
	"strconv"
	"unicode/utf8"
)

// InvalidUTF8At returns the offset of the first byte of b that is not
// part of valid UTF-8, or -1. Input is checked as bytes because decoders
// (encoding/json, encoding/csv's callers) turn invalid UTF-8 into U+FFFD
// silently, and a name stored as replacement characters is data lost.
func InvalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// CheckJSONText refuses a JSON document that is not valid Unicode text:
// bytes that are not UTF-8, or a \u escape of half a surrogate pair (which
// encoding/json also decodes to U+FFFD). what names the document in the
// INVALID_INPUT error ("the request body", "variables"). It does not
// check the JSON syntax: the decoder does, after.
func CheckJSONText(field, what string, b []byte) error {
	if at := InvalidUTF8At(b); at >= 0 {
		return Invalid(field, "%s is not valid UTF-8 (byte %d): send text encoded as UTF-8", what, at)
	}
	if at := loneSurrogateAt(b); at >= 0 {
		return Invalid(field, "%s has a \\u escape of half a UTF-16 surrogate pair (byte %d), which is not a character", what, at)
	}
	return nil
}

// loneSurrogateAt finds a \uD800–\uDFFF escape that is not a high
// surrogate directly followed by a low one. Outside strings JSON has no
// backslashes, so the escapes need no tracking of where strings are.
func loneSurrogateAt(b []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if i+1 >= len(b) || b[i+1] != 'u' {
			i++ // an escaped character, perhaps a backslash
			continue
		}
		hi, ok := hex4(b, i+2)
		switch {
		case !ok || hi < 0xD800 || hi > 0xDFFF:
		case hi >= 0xDC00:
			return i
		default:
			lo, ok := hex4(b, i+8)
			if i+7 >= len(b) || b[i+6] != '\\' || b[i+7] != 'u' || !ok || lo < 0xDC00 || lo > 0xDFFF {
				return i
			}
			i += 6
		}
		i += 5
	}
	return -1
}

func hex4(b []byte, at int) (int, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	return int(v), err == nil
}
