package seisim

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"strings"
)

// templates are parsed once per Server and shared by every instance.
type templates struct {
	loginNew, loginOld *tpl
	seiHead            *tpl
	seiHeadOld         *tpl
	externo            *tpl
	logo               string // base64 PNG of the system logo on the login page
	captchaImg         string // base64 PNG shown as the captcha challenge
}

func newTemplates() *templates {
	logo := noisePNG(96, 40, 0x5e1)
	return &templates{
		// The logo is the same for every instance: bake it into the literal chunks.
		loginNew:   parseTpl(strings.Replace(loginBootstrapTpl, "{{TEXT}}", logo, 1), true),
		loginOld:   parseTpl(loginOldTpl, true),
		seiHead:    parseTpl(seiHeadTpl, true),
		seiHeadOld: parseTpl(seiHeadOldTpl, true),
		externo:    parseTpl(externoTpl, true),
		logo:       logo,
		captchaImg: noisePNG(100, 50, 0xca9),
	}
}

// noisePNG draws a small deterministic image: real logos and captchas are PNGs of a few KB
// embedded as data: URIs, and their size is part of what a probe downloads.
func noisePNG(w, h int, seed uint32) string {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x := seed
	for py := 0; py < h; py++ {
		for px := 0; px < w; px++ {
			x = x*1664525 + 1013904223
			v := uint8(x>>24) & 0xE0
			img.Set(px, py, color.RGBA{R: 0x1b, G: 0x4f + v/4, B: 0x9c + v/8, A: 0xff})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return base64.StdEncoding.EncodeToString(b.Bytes())
}
