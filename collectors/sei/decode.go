package sei

import (
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
)

// DecodeBody returns b as UTF-8. The encoding comes from the Content-Type charset, else from a
// <meta> charset in the first 1024 bytes, as a browser decides it. Real SEI and SIP send
// ISO-8859-1 (which the HTML standard reads as windows-1252); mod-wssei sends UTF-8 JSON.
func DecodeBody(b []byte, contentType string) []byte {
	if len(b) == 0 {
		return b
	}
	head := b
	if len(head) > 1024 {
		head = head[:1024]
	}
	enc, name, _ := charset.DetermineEncoding(head, contentType)
	if name == "utf-8" && !utf8.Valid(b) {
		// PHP's default_charset labels pages UTF-8 while Infra writes ISO-8859-1 (PHP fatal
		// errors, some error pages): bytes that are not UTF-8 are read as a browser would.
		enc, name = charmap.Windows1252, "windows-1252"
	}
	if name == "utf-8" || enc == nil {
		return b
	}
	if isASCII(b) {
		return b
	}
	// charset wraps its encodings, so the common single-byte ones are recognised by name.
	switch name {
	case "windows-1252":
		return decodeSingleByte(charmap.Windows1252, b)
	case "iso-8859-15":
		return decodeSingleByte(charmap.ISO8859_15, b)
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		// Single-byte decoders do not fail; keep the raw bytes if one ever does.
		return b
	}
	return out
}

// decodeSingleByte decodes a single-byte charset (windows-1252, which ISO-8859-1 labels mean) into
// a buffer of the exact size: x/text's transformer grows its output step by step, and every SEI
// page goes through here.
func decodeSingleByte(cm *charmap.Charmap, b []byte) []byte {
	n := 0
	for _, c := range b {
		if c < utf8.RuneSelf {
			n++
		} else {
			n += utf8.RuneLen(cm.DecodeByte(c))
		}
	}
	out := make([]byte, 0, n)
	for _, c := range b {
		if c < utf8.RuneSelf {
			out = append(out, c)
		} else {
			out = utf8.AppendRune(out, cm.DecodeByte(c))
		}
	}
	return out
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
