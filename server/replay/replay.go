// Package replay is sesamed's SPA replay cache: the digests of the SPA
// packets it accepted, kept across restarts in the state directory, as
// fwknopd's digest.cache.
//
// Unlike fwknopd's, which grows for ever, it is bounded: a packet older
// than the packet age limit is refused whatever its digest, so a digest
// need only be kept until its packet's own timestamp is that old
// (Record's expires), and the cache holds at most Max live digests. Only
// packets that passed the HMAC check are recorded, so filling it takes the
// keys; a full cache refuses new packets rather than forget live digests.
//
// The file is appended to, one line per digest ("DIGEST UNIXTIME\n", the
// time the digest may be forgotten), before the grant, so that a sesamed
// killed right after it still knows the packet. It is rewritten without
// the expired lines when it opens and when it has grown to twice what is
// live.
package replay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"sesame/internal/atomicfile"
)

// File is the cache's file in sesamed's state directory.
const File = "fwknop-digests"

// DefaultMax bounds the live digests: far more SPA packets than real
// clients send within the age limit.
const DefaultMax = 65536

// ErrFull is returned by Record when Max live digests are held.
var ErrFull = errors.New("the SPA replay cache is full")

// Cache is the set of digests seen. It is safe for concurrent use.
type Cache struct {
	path string
	max  int

	mu      sync.Mutex
	live    map[string]time.Time // digest → when it may be forgotten
	f       *os.File             // the file, for appending
	written int                  // lines in the file
	compact int                  // rewrite when written reaches this
}

// Open reads the cache at path (none yet is an empty cache), drops what
// has expired at now, and rewrites the file with what is left. max <= 0
// is DefaultMax. A line that does not read is skipped: the cache is only
// ever added to by sesamed, and a torn last line is the likely cause.
func Open(path string, now time.Time, max int) (*Cache, error) {
	if max <= 0 {
		max = DefaultMax
	}
	c := &Cache{path: path, max: max, live: map[string]time.Time{}}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read the SPA replay cache: %w (sesamed refuses SPA packets it cannot check for replay; fix the file's permissions or StateDir)", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		d, t, ok := parseLine(sc.Text())
		if ok && t.After(now) {
			c.live[d] = t
		}
	}
	if err := c.rewrite(); err != nil {
		return nil, err
	}
	return c, nil
}

func parseLine(s string) (string, time.Time, bool) {
	d, ts, ok := strings.Cut(s, " ")
	if !ok || d == "" {
		return "", time.Time{}, false
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", time.Time{}, false
	}
	return d, time.Unix(n, 0), true
}

// Path is the cache's file.
func (c *Cache) Path() string { return c.path }

// Len is the number of live digests.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.live)
}

// Seen reports whether digest is held and live at now, recording nothing:
// a replay is refused before any decryption.
func (c *Cache) Seen(digest string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.live[digest]
	return ok && t.After(now)
}

// Record adds digest, to be kept until expires, and reports whether it
// was there already (a replay: nothing is written). The line is in the
// file when Record returns; an error means the packet must be refused.
func (c *Cache) Record(digest string, expires, now time.Time) (replay bool, err error) {
	if digest == "" || strings.ContainsAny(digest, " \n") {
		return false, fmt.Errorf("replay cache: digest %q cannot be stored", digest)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.live[digest]; ok && t.After(now) {
		return true, nil
	}
	if len(c.live) >= c.max {
		c.prune(now)
		if len(c.live) >= c.max {
			return false, fmt.Errorf("%w (%d digests of packets younger than the age limit)", ErrFull, len(c.live))
		}
	}
	if c.written >= c.compact {
		c.prune(now)
		if err := c.rewrite(); err != nil {
			return false, err
		}
	}
	line := digest + " " + strconv.FormatInt(expires.Unix(), 10) + "\n"
	if _, err := c.f.WriteString(line); err != nil {
		return false, fmt.Errorf("write the SPA replay cache %s: %w (the packet is refused: make StateDir writable)", c.path, err)
	}
	c.written++
	c.live[digest] = expires
	return false, nil
}

func (c *Cache) prune(now time.Time) {
	for d, t := range c.live {
		if !t.After(now) {
			delete(c.live, d)
		}
	}
}

// rewrite replaces the file with the live digests, and reopens it for
// appending.
func (c *Cache) rewrite() error {
	var b bytes.Buffer
	for d, t := range c.live {
		fmt.Fprintf(&b, "%s %d\n", d, t.Unix())
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return fmt.Errorf("create the state directory for the SPA replay cache: %w (create it, or set StateDir)", err)
	}
	if err := atomicfile.Write(c.path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write the SPA replay cache: %w (make the state directory writable, or set StateDir)", err)
	}
	if c.f != nil {
		_ = c.f.Close()
	}
	f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open the SPA replay cache: %w", err)
	}
	c.f, c.written = f, len(c.live)
	c.compact = 2*len(c.live) + 1024
	return nil
}

// Close closes the file; the digests are in it already.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}
