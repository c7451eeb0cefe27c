// Package xvfb runs a real X display for the app's end-to-end tests and
// benchmarks: an Xvfb server on a free display number, screenshots of it
// through xwd, and keyboard and mouse input through xdotool.
package xvfb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math/bits"
)

// xwdHeader is the fixed part of an XWD file (X11 window dump, version 7):
// 25 big-endian 32-bit fields.
type xwdHeader struct {
	HeaderSize, FileVersion, PixmapFormat, PixmapDepth  uint32
	PixmapWidth, PixmapHeight, XOffset, ByteOrder       uint32
	BitmapUnit, BitmapBitOrder, BitmapPad, BitsPerPixel uint32
	BytesPerLine, VisualClass, RedMask, GreenMask       uint32
	BlueMask, BitsPerRGB, ColormapEntries, NColors      uint32
	WindowWidth, WindowHeight, WindowX, WindowY         uint32
	WindowBorderWidth                                   uint32
}

const zPixmap = 2

// DecodeXWD decodes a TrueColor ZPixmap dump of 24 or 32 bits per pixel,
// which is what xwd writes for an Xvfb screen of depth 24.
func DecodeXWD(data []byte) (image.Image, error) {
	var h xwdHeader
	if len(data) < 100 {
		return nil, errors.New("xwd: file too short")
	}
	if _, err := binary.Decode(data, binary.BigEndian, &h); err != nil {
		return nil, fmt.Errorf("xwd: %w", err)
	}
	if h.FileVersion != 7 || h.PixmapFormat != zPixmap {
		return nil, fmt.Errorf("xwd: version %d format %d: only version 7 ZPixmap dumps are read", h.FileVersion, h.PixmapFormat)
	}
	if h.BitsPerPixel != 32 && h.BitsPerPixel != 24 {
		return nil, fmt.Errorf("xwd: %d bits per pixel: only 24 and 32 are read", h.BitsPerPixel)
	}
	w, ht := int(h.PixmapWidth), int(h.PixmapHeight)
	off := int(h.HeaderSize) + int(h.NColors)*12
	need := off + ht*int(h.BytesPerLine)
	if w <= 0 || ht <= 0 || w > 1<<15 || ht > 1<<15 || need > len(data) || int(h.BytesPerLine) < w*int(h.BitsPerPixel)/8 {
		return nil, errors.New("xwd: bad size or truncated file")
	}
	bpp := int(h.BitsPerPixel) / 8
	channel := func(p, mask uint32) uint8 {
		if mask == 0 {
			return 0
		}
		v := (p & mask) >> bits.TrailingZeros32(mask)
		width := bits.OnesCount32(mask)
		if width >= 8 {
			return uint8(v >> (width - 8))
		}
		return uint8(v << (8 - width))
	}
	img := image.NewRGBA(image.Rect(0, 0, w, ht))
	for y := 0; y < ht; y++ {
		row := data[off+y*int(h.BytesPerLine):]
		for x := 0; x < w; x++ {
			px := row[x*bpp : x*bpp+bpp]
			var p uint32
			if h.ByteOrder == 0 { // LSBFirst
				for i := bpp - 1; i >= 0; i-- {
					p = p<<8 | uint32(px[i])
				}
			} else {
				for i := 0; i < bpp; i++ {
					p = p<<8 | uint32(px[i])
				}
			}
			img.SetRGBA(x, y, color.RGBA{channel(p, h.RedMask), channel(p, h.GreenMask), channel(p, h.BlueMask), 0xff})
		}
	}
	return img, nil
}
