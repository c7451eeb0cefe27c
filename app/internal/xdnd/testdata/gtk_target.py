# A GTK 3 window that takes drops of files, as GNOME's file manager does:
# the real XDND target the drag source is tested against. Usage:
#   gtk_target.py X Y WIDTH HEIGHT
# It prints "ready" once mapped, then one JSON line per drop:
# {"uris": [...], "files": {path: hex content}, "error": "..."}.
import json
import sys
from urllib.parse import unquote, urlparse

import gi

gi.require_version("Gdk", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, Gtk  # noqa: E402

x, y, w, h = map(int, sys.argv[1:5])
win = Gtk.Window(title="GTK drop target")
win.move(x, y)
win.set_default_size(w, h)
win.drag_dest_set(Gtk.DestDefaults.ALL, [Gtk.TargetEntry.new("text/uri-list", 0, 0)], Gdk.DragAction.COPY)


def received(widget, ctx, x, y, data, info, time):
    out = {"uris": data.get_uris() or [], "files": {}}
    for uri in out["uris"]:
        path = unquote(urlparse(uri).path)
        try:
            with open(path, "rb") as f:
                out["files"][path] = f.read().hex()
        except OSError as e:
            out["error"] = str(e)
    print(json.dumps(out), flush=True)


win.connect("drag-data-received", received)
win.connect("map-event", lambda *a: print("ready", flush=True))
win.connect("destroy", Gtk.main_quit)
win.show_all()
Gtk.main()
