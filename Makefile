# Sesame: the only commands a newcomer needs.
#   make run    build and start the desktop app
#   make test   install what the tests need, then run every test
#   make bench  benchmarks against the real peers (knock, knockd, ssh)
#   make demo   knock → SSH → close, in network namespaces (root)

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin

GO       ?= go
GUI_TAGS := migrated_fynedo
BIN      := bin
# Fuzz budgets are counts, not durations: with a duration Go 1.26's fuzz
# coordinator can report a spurious "context deadline exceeded" at the end of
# the run on a loaded machine (go.dev/issue/75804, fixed in Go 1.27).
FUZZTIME ?= 60000x
CROSS    := linux/amd64 linux/arm64 windows/amd64 windows/arm64 darwin/amd64 darwin/arm64

# Fuzz targets: package and function, run briefly by `make test`.
FUZZ := ./knocker:FuzzParseSequence ./server/knockdconf:FuzzParse \
        ./server/firewall:FuzzParseIPTablesRule ./server/firewall:FuzzRuleFromKey \
        ./server/conntrack:FuzzParseFlow ./server/install:FuzzParseSSHConnection \
        ./profiles:FuzzReadExport \
        ./app/terminal/vt:FuzzWrite \
        ./server/packet:FuzzDecode

.PHONY: all run build headless sesamed deps deps-test test check-fmt vet cross unit fuzz bench demo clean

all: build sesamed

deps:
	@scripts/deps.sh build
	@$(GO) mod download

deps-test:
	@scripts/deps.sh test
	@$(GO) mod download

build: deps
	$(GO) build -tags $(GUI_TAGS) -o $(BIN)/sesame .

headless:
	CGO_ENABLED=0 $(GO) build -tags headless -o $(BIN)/sesame-headless .

# sesamed, the knockd-compatible daemon (Linux, cgo and libpcap).
sesamed: deps
	$(GO) build -o $(BIN)/sesamed ./server/cmd/sesamed

run: build
	./$(BIN)/sesame

test: deps-test check-fmt vet cross unit fuzz
	@echo "make test: all passed"

check-fmt:
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$bad" ]; then echo "gofmt needed on:"; echo "$$bad"; exit 1; fi

vet:
	$(GO) vet -tags $(GUI_TAGS) ./...
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
	rm -rf $(BIN)
