// Package icons holds Sesame's artwork: the app icon (a door standing ajar,
// light through the keyhole) and the tray icon, drawn as SVG masters and
// rendered to PNG by render.go.
package icons

//go:generate go run render.go

import _ "embed"

// App is the app icon, 256×256 PNG.
//
//go:embed icon.png
var App []byte

// AppSVG is the app icon's SVG master.
//
//go:embed sesame.svg
var AppSVG []byte

// Tray is the tray icon, 64×64 PNG.
//
//go:embed tray.png
var Tray []byte
