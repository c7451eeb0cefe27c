# Sesame: the only commands a newcomer needs.
#   make run    build and start the desktop app
#   make test   install what the tests need, then run every test
#   make bench  benchmarks against the real peers (knock, knockd, ssh)
#   make demo   knock → SSH → close, in network namespaces (root)
#   make package  a Linux desktop tarball and a Windows .exe in dist/
#   make man      the man pages, from the commands, in dist/man/

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin

GO       ?= go
GUI_TAGS := migrated_fynedo
BIN      := bin
# Fuzz budgets are counts, not durations: with a duration Go 1.26's fuzz
# coordinator can report a spurious "context deadline exceeded" at the end of
# the run on a loaded machine (go.dev/issue/75804, fixed in Go 1.27).
FUZZTIME ?= 60000x
DIST     := dist
VERSION  := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
ARCH     := $(shell $(GO) env GOARCH 2>/dev/null || echo amd64)
CROSS    := linux/amd64 linux/arm64 windows/amd64 windows/arm64 darwin/amd64 darwin/arm64

# Fuzz targets: package and function, run briefly by `make test`.
FUZZ := ./knocker:FuzzParseSequence ./knockdconf:FuzzParse \
        ./server/firewall:FuzzParseIPTablesRule ./server/firewall:FuzzRuleFromKey \
        ./server/conntrack:FuzzParseFlow ./server/install:FuzzParseSSHConnection ./server/install:FuzzRewriteDoors \
        ./profiles:FuzzReadExport \
        ./app/terminal/vt:FuzzWrite \
        ./server/packet:FuzzDecode \
        ./spa:FuzzDecode

.PHONY: all run build headless sesamed deps deps-test deps-package test check-fmt vet cross unit fuzz bench demo \
        package package-linux package-windows man clean

all: build sesamed

deps:
	@scripts/deps.sh build
	@$(GO) mod download

deps-test:
	@scripts/deps.sh test
	@$(GO) mod download

deps-package:
	@scripts/deps.sh package
	@$(GO) mod download

build: deps
	$(GO) build -tags $(GUI_TAGS) -o $(BIN)/sesame .

headless:
	CGO_ENABLED=0 $(GO) build -tags headless -o $(BIN)/sesame-headless .

# sesamed, the knockd-compatible daemon (Linux, cgo and libpcap).
sesamed: deps
	$(GO) build -o $(BIN)/sesamed ./server/cmd/sesamed

# The desktop app needs a display; without one, say what works instead.
run: build
	@if [ "$$(uname -s)" != Darwin ] && [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
		echo "make run: no display here (DISPLAY and WAYLAND_DISPLAY are unset), so the desktop app cannot open."; \
		echo "  See Sesame work without one:  sudo make demo   (knock, SSH and close knock in network namespaces)"; \
		echo "  Or use the command line:      ./$(BIN)/sesame --help"; \
		exit 1; \
	fi
	./$(BIN)/sesame

# Man pages rendered from the commands themselves, so they say what --help
# says: sesame(1) and sesame-*(1) in dist/man/man1, sesamed(8) and
# sesamed-*(8) in dist/man/man8 (sesamed install puts those in place).
man:
	rm -rf $(DIST)/man
	$(GO) run ./internal/manpage/mangen $(DIST)/man

# Desktop packages: a Linux tarball (binary, .desktop file, icons, laid out
# under usr/local) and a Windows .exe with its icon, cross-compiled with
# mingw-w64.
package: package-linux package-windows
	@ls -l $(DIST)

package-linux: build man
	rm -rf $(DIST)/linux
	install -D -m 755 $(BIN)/sesame $(DIST)/linux/usr/local/bin/sesame
	install -D -m 644 -t $(DIST)/linux/usr/local/share/man/man1 $(DIST)/man/man1/*.1
	install -D -m 644 packaging/linux/org.sesame.Sesame.desktop $(DIST)/linux/usr/local/share/applications/org.sesame.Sesame.desktop
	install -D -m 644 icons/icon.png $(DIST)/linux/usr/local/share/icons/hicolor/256x256/apps/org.sesame.Sesame.png
	install -D -m 644 icons/sesame.svg $(DIST)/linux/usr/local/share/icons/hicolor/scalable/apps/org.sesame.Sesame.svg
	tar -C $(DIST)/linux -czf $(DIST)/sesame-$(VERSION)-linux-$(ARCH).tar.gz usr
	rm -rf $(DIST)/linux

package-windows: deps-package
	cd packaging/windows && x86_64-w64-mingw32-windres -O coff -i sesame.rc -o ../../rsrc_windows_amd64.syso
	CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc GOOS=windows GOARCH=amd64 \
		$(GO) build -tags $(GUI_TAGS) -ldflags "-s -w" -o $(DIST)/sesame-$(VERSION)-windows-amd64.exe . ; \
		st=$$?; rm -f rsrc_windows_amd64.syso; exit $$st

test: deps-test check-fmt vet cross unit fuzz
	@echo "make test: all passed"

check-fmt:
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$bad" ]; then echo "gofmt needed on:"; echo "$$bad"; exit 1; fi

vet:
	$(GO) vet -tags $(GUI_TAGS) ./...
	$(GO) vet -tags $(GUI_TAGS),sesame_testhook ./app/
	CGO_ENABLED=0 $(GO) vet -tags headless ./...

# The headless CLI must build without cgo for every desktop platform.
cross:
	@for t in $(CROSS); do \
		echo "headless build $$t"; \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -tags headless -o /dev/null . || exit 1; \
	done

unit:
	@if [ "$$(id -u)" != 0 ]; then \
		echo "NOTE: not root: the end-to-end tests in network namespaces (knockd, sshd, iptables) will SKIP."; \
		echo "      Run 'sudo make test' to run them; CI runs as root and runs them all."; \
	fi
	@# -count=1: the end-to-end tests run binaries built from other packages
	@# and real peers, which Go's test cache cannot see change.
	$(GO) test -race -count=1 -tags $(GUI_TAGS) ./...

fuzz:
	@for f in $(FUZZ); do \
		pkg=$${f%%:*}; fn=$${f##*:}; \
		echo "fuzz $$fn ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

bench: deps-test
	$(GO) test -run '^$$' -bench . -benchtime 10x -tags $(GUI_TAGS) ./...

# Knock → SSH → close knock in network namespaces, with a throw-away keyring.
demo: deps-test headless sesamed
	scripts/demo.sh $(BIN)/sesame-headless $(BIN)/sesamed

clean:
	rm -rf $(BIN) $(DIST)
