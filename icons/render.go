//go:build ignore

// render.go draws the PNGs from the SVG masters: go generate ./icons
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"os"

	"github.com/fyne-io/oksvg"
	"github.com/srwiley/rasterx"
)

func main() {
	for _, r := range []struct {
		svg, png string
		size     int
	}{
		{"sesame.svg", "icon.png", 256},
		{"tray.svg", "tray.png", 64},
	} {
		if err := render(r.svg, r.png, r.size); err != nil {
			fmt.Fprintln(os.Stderr, "render:", err)
			os.Exit(1)
		}
	}
	if err := ico("icon.png", "icon.ico"); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

// ico wraps a PNG of at most 256×256 in a Windows .ico file (one image,
// stored as PNG, which Windows reads since Vista), for the .exe's icon.
func ico(in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if cfg.Width > 256 || cfg.Height > 256 {
		return fmt.Errorf("%s is %dx%d: an .ico image is at most 256x256", in, cfg.Width, cfg.Height)
	}
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write(le.AppendUint16(le.AppendUint16(le.AppendUint16(nil, 0), 1), 1)) // reserved, type icon, one image
	b.WriteByte(byte(cfg.Width % 256))                                       // 0 means 256
	b.WriteByte(byte(cfg.Height % 256))
	b.Write([]byte{0, 0})                                                   // no palette, reserved
	b.Write(le.AppendUint16(le.AppendUint16(nil, 1), 32))                   // planes, bits per pixel
	b.Write(le.AppendUint32(le.AppendUint32(nil, uint32(len(data))), 6+16)) // size, offset
	b.Write(data)
	return os.WriteFile(out, b.Bytes(), 0o644)
}

func render(in, out string, size int) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	icon, err := oksvg.ReadIconStream(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	icon.SetTarget(0, 0, float64(size), float64(size))
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	icon.Draw(rasterx.NewDasher(size, size, rasterx.NewScannerGV(size, size, img, img.Bounds())), 1)
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
