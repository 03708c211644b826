package chat

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/scalechat/scalechat/core"
)

// Thumbnail bounds.
const (
	ThumbMaxSide     = 320        // a thumbnail fits in ThumbMaxSide × ThumbMaxSide
	MaxImagePixels   = 40_000_000 // larger images (by their header) are refused unread: decompression bombs
	thumbJPEGQuality = 85
)

// decoders decode the image types thumbnails are made for, by sniffed content type.
var decoders = map[string]struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}{
	"image/png":  {png.DecodeConfig, png.Decode},
	"image/jpeg": {jpeg.DecodeConfig, jpeg.Decode},
	"image/gif":  {gif.DecodeConfig, gif.Decode}, // the first frame
	"image/webp": {webp.DecodeConfig, webp.Decode},
}

// thumbnail is a re-encoded preview of an image.
type thumbnail struct {
	width, height int // of the original
	data          []byte
	contentType   string // image/jpeg, or image/png for images with transparency
}

// makeThumbnail reads the image's dimensions from its header, refuses more than MaxImagePixels, decodes it and
// scales it to fit ThumbMaxSide (never up). Images with transparency become PNG, the others JPEG. A file that
// does not decode as its sniffed type is invalid.
func makeThumbnail(contentType string, data []byte) (thumbnail, error) {
	dec, ok := decoders[contentType]
	if !ok {
		return thumbnail{}, core.Errorf(core.CodeInternal, "no decoder for %s", contentType)
	}
	cfg, err := dec.config(bytes.NewReader(data))
	if err != nil {
		return thumbnail{}, core.Invalid("file", "the file is not a valid %s image", contentType)
	}
	if cfg.Width < 1 || cfg.Height < 1 || int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return thumbnail{}, core.Invalid("file", "the image is %d×%d pixels; at most %d pixels are accepted",
			cfg.Width, cfg.Height, MaxImagePixels)
	}
	img, err := dec.decode(bytes.NewReader(data))
	if err != nil {
		return thumbnail{}, core.Invalid("file", "the file is not a valid %s image", contentType)
	}
	b := img.Bounds()
	w, h := fit(b.Dx(), b.Dy(), ThumbMaxSide)
	alpha := hasAlpha(img)
	var dst draw.Image
	if alpha {
		dst = image.NewNRGBA(image.Rect(0, 0, w, h))
	} else {
		dst = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	var out bytes.Buffer
	t := thumbnail{width: b.Dx(), height: b.Dy()}
	if alpha {
		t.contentType = "image/png"
		err = png.Encode(&out, dst)
	} else {
		t.contentType = "image/jpeg"
		err = jpeg.Encode(&out, dst, &jpeg.Options{Quality: thumbJPEGQuality})
	}
	if err != nil {
		return thumbnail{}, core.Wrap(core.CodeInternal, err, "cannot encode the thumbnail")
	}
	t.data = out.Bytes()
	return t, nil
}

// fit scales w×h to fit side×side, keeping the aspect ratio, never enlarging, at least 1×1.
func fit(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, h*side/w)
	}
	return max(1, w*side/h), side
}

// hasAlpha reports whether any pixel of img is not fully opaque.
func hasAlpha(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return !o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return true
			}
		}
	}
	return false
}
