package xvfb

import (
	"bytes"
	"encoding/binary"
	"image/color"
	"testing"
)

// xwdFile builds a 2×1 dump with the given pixel layout.
func xwdFile(bpp, byteOrder uint32, px [][]byte) []byte {
	name := []byte("t\x00")
	h := xwdHeader{
		HeaderSize: 100 + uint32(len(name)), FileVersion: 7, PixmapFormat: zPixmap, PixmapDepth: 24,
		PixmapWidth: 2, PixmapHeight: 1, ByteOrder: byteOrder, BitsPerPixel: bpp,
		BytesPerLine: 2 * bpp / 8, VisualClass: 4, RedMask: 0xff0000, GreenMask: 0xff00, BlueMask: 0xff,
	}
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, h)
	b.Write(name)
	for _, p := range px {
		b.Write(p)
	}
	return b.Bytes()
}

func TestDecodeXWD(t *testing.T) {
	red, teal := color.RGBA{0xff, 0, 0, 0xff}, color.RGBA{0x12, 0x34, 0x56, 0xff}
	tests := []struct {
		name string
		data []byte
	}{
		{"32 bpp LSB first", xwdFile(32, 0, [][]byte{{0, 0, 0xff, 0}, {0x56, 0x34, 0x12, 0}})},
		{"32 bpp MSB first", xwdFile(32, 1, [][]byte{{0, 0xff, 0, 0}, {0, 0x12, 0x34, 0x56}})},
		{"24 bpp LSB first", xwdFile(24, 0, [][]byte{{0, 0, 0xff}, {0x56, 0x34, 0x12}})},
	}
	for _, tt := range tests {
		img, err := DecodeXWD(tt.data)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := img.At(0, 0); got != red {
			t.Errorf("%s: pixel 0 is %v, want %v", tt.name, got, red)
		}
		if got := img.At(1, 0); got != teal {
			t.Errorf("%s: pixel 1 is %v, want %v", tt.name, got, teal)
		}
	}
	good := xwdFile(32, 0, [][]byte{{0, 0, 0, 0}, {0, 0, 0, 0}})
	for name, bad := range map[string][]byte{
		"short":     good[:50],
		"truncated": good[:len(good)-1],
		"version":   append(append([]byte{}, good[:7]...), append([]byte{6}, good[8:]...)...),
	} {
		if _, err := DecodeXWD(bad); err == nil {
			t.Errorf("%s: decoded without an error", name)
		}
	}
}
