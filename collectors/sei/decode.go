package sei

import (
	"encoding/binary"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// DecodeBody returns b as UTF-8. The encoding comes from the Content-Type charset, else from a
// <meta> charset in the first 1024 bytes, as a browser decides it. Real SEI and SIP send
// ISO-8859-1 (which the HTML standard reads as windows-1252); mod-wssei sends UTF-8 JSON.
func DecodeBody(b []byte, contentType string) []byte { return decodeBody(b, contentType, nil) }

// decodeBody is DecodeBody into the session's memory (fresh memory when s is nil).
func decodeBody(b []byte, contentType string, s *Session) []byte {
	if len(b) == 0 {
		return b
	}
	head := b
	if len(head) > 1024 {
		head = head[:1024]
	}
	enc, name := declaredCharset(contentType)
	if name == "" {
		enc, name, _ = charset.DetermineEncoding(head, contentType)
	}
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
		return decodeSingleByte(charmap.Windows1252, b, s)
	case "iso-8859-15":
		return decodeSingleByte(charmap.ISO8859_15, b, s)
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
// page goes through here. ASCII runs are copied whole; only the accented letters are looked up.
func decodeSingleByte(cm *charmap.Charmap, b []byte, s *Session) []byte {
	var enc [128][4]byte
	var encLen [128]uint8
	var known [128]bool
	n := len(b)
	for k := 0; k < len(b); {
		k = asciiPrefix(b, k)
		if k == len(b) {
			break
		}
		c := b[k]
		i := c - utf8.RuneSelf
		if !known[i] {
			known[i] = true
			encLen[i] = uint8(utf8.EncodeRune(enc[i][:], cm.DecodeByte(c)))
		}
		n += int(encLen[i]) - 1
		k++
	}
	var out []byte
	if s != nil {
		out = s.alloc(n)
	} else {
		out = make([]byte, 0, n)
	}
	for len(b) > 0 {
		j := asciiPrefix(b, 0)
		out = append(out, b[:j]...)
		if j == len(b) {
			break
		}
		i := b[j] - utf8.RuneSelf
		out = append(out, enc[i][:encLen[i]]...)
		b = b[j+1:]
	}
	return out
}

// declaredCharset recognises the Content-Type charsets SEI, SIP and mod-wssei send
// ("text/html; charset=iso-8859-1", "application/json; charset=UTF-8") without
// mime.ParseMediaType's allocations, with the names and encodings charset.DetermineEncoding gives
// for them; "" for anything else, which DetermineEncoding then reads.
func declaredCharset(ct string) (encoding.Encoding, string) {
	i := strings.IndexByte(ct, ';')
	if i < 0 || strings.IndexByte(ct[i+1:], ';') >= 0 || strings.IndexByte(ct, '"') >= 0 {
		return nil, ""
	}
	p := strings.TrimLeft(ct[i+1:], " \t")
	if len(p) < len("charset=") || !strings.EqualFold(p[:len("charset=")], "charset=") {
		return nil, ""
	}
	switch v := strings.TrimRight(p[len("charset="):], " \t"); {
	case strings.EqualFold(v, "utf-8"), strings.EqualFold(v, "utf8"):
		return unicode.UTF8, "utf-8"
	case strings.EqualFold(v, "iso-8859-1"), strings.EqualFold(v, "windows-1252"), strings.EqualFold(v, "latin1"):
		return charmap.Windows1252, "windows-1252"
	}
	return nil, ""
}

func isASCII(b []byte) bool { return asciiPrefix(b, 0) == len(b) }

// asciiPrefix returns the index of the first non-ASCII byte of b at or after k (len(b) if none),
// testing eight bytes at a time.
func asciiPrefix(b []byte, k int) int {
	for k+8 <= len(b) && binary.LittleEndian.Uint64(b[k:])&0x8080808080808080 == 0 {
		k += 8
	}
	for k < len(b) && b[k] < utf8.RuneSelf {
		k++
	}
	return k
}
