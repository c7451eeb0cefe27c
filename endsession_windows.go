package main

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/windows"

	"sesame/internal/winend"
)

const (
	wmQueryEndSession = 0x0011
	wmEndSession      = 0x0016
)

type wndClassEx struct {
	size, style                        uint32
	wndProc                            uintptr
	clsExtra, wndExtra                 int32
	instance, icon, cursor, background windows.Handle
	menuName, className                *uint16
	iconSm                             windows.Handle
}

type winMsg struct {
	hwnd     windows.Handle
	message  uint32
	wParam   uintptr
	lParam   uintptr
	time     uint32
	pt       [2]int32
	lPrivate uint32
}

// onSessionEnd answers logoff and shutdown, which a program that loads
// user32 hears of as WM_QUERYENDSESSION and WM_ENDSESSION (not as console
// events), with h. GLFW's windows let DefWindowProc answer those, after
// which Windows ends the process without a word to Fyne, so Sesame keeps
// a window of its own: hidden and top-level (a message-only window gets no
// broadcasts), on a thread of its own with its own message loop, so that a
// stuck UI goroutine does not keep the doors open. Every Windows build
// has it, the headless one too, so that one way serves both (and the
// headless build's test under Wine covers the app's).
func onSessionEnd(h winend.Handler) error {
	user32 := windows.NewLazySystemDLL("user32.dll")
	errc := make(chan error, 1)
	go func() {
		// The window's messages go to the thread that made it.
		runtime.LockOSThread()
		proc := windows.NewCallback(func(hwnd windows.Handle, msg uint32, wParam, lParam uintptr) uintptr {
			switch msg {
			case wmQueryEndSession:
				if h.Handle(winend.QueryEndSession) {
					return 1
				}
				return 0
			case wmEndSession:
				// wParam FALSE: the end was cancelled.
				if wParam != 0 {
					h.Handle(winend.EndSession)
				}
				return 0
			}
			r, _, _ := user32.NewProc("DefWindowProcW").Call(uintptr(hwnd), uintptr(msg), wParam, lParam)
			return r
		})
		class, _ := windows.UTF16PtrFromString("SesameSessionEnd")
		var instance windows.Handle
		_ = windows.GetModuleHandleEx(0, nil, &instance)
		wc := wndClassEx{wndProc: proc, className: class, instance: instance}
		wc.size = uint32(unsafe.Sizeof(wc))
		if r, _, err := user32.NewProc("RegisterClassExW").Call(uintptr(unsafe.Pointer(&wc))); r == 0 {
			errc <- fmt.Errorf("register the session-end window class: %w", err)
			return
		}
		hwnd, _, err := user32.NewProc("CreateWindowExW").Call(0, uintptr(unsafe.Pointer(class)),
			uintptr(unsafe.Pointer(class)), 0, 0, 0, 0, 0, 0, 0, uintptr(instance), 0)
		if hwnd == 0 {
			errc <- fmt.Errorf("create the session-end window: %w", err)
			return
		}
		errc <- nil
		getMessage, dispatch := user32.NewProc("GetMessageW"), user32.NewProc("DispatchMessageW")
		var m winMsg
		for {
			if r, _, _ := getMessage.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0); int32(r) <= 0 {
				return
			}
			dispatch.Call(uintptr(unsafe.Pointer(&m)))
		}
	}()
	return <-errc
}
