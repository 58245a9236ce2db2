package augment

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// DiskCache keeps decoded, pre-resized images in a folder between runs, so
// that a run's first epoch reads its images instead of decoding them again:
// Go's JPEG decoder and the resize take about 6 ms an image, which in the
// first epoch of a small network is more than the training itself. A lab
// trains the same data over and over (depths, seeds, folds), and each run
// paid that again.
//
// An entry is named after the image's absolute path, size and modification
// time and the prepared form (training size, augmenting or not, scale), so
// a changed file or another size is a miss, never a stale hit. Entries are
// raw RGB with a small header, written to a temporary name and renamed, so
// a reader sees whole entries or none; one that does not read back whole
// (a torn or foreign file) is removed and counts as a miss. When the folder
// grows past Limit the least recently used entries go. Errors never fail a
// run: the cache is an optimisation, and the image is decoded instead.
type DiskCache struct {
	Dir string
	// Limit bounds the folder's bytes; 0 means DefaultDiskCacheBytes.
	Limit int64

	mu      sync.Mutex
	size    int64 // bytes in the folder, once scanned
	scanned bool
}

// DefaultDiskCacheBytes is DiskCache's default size limit.
const DefaultDiskCacheBytes = 4 << 30

// diskCacheMagic starts every entry (and names its format's version).
const diskCacheMagic = "RSLBIMG1"

// diskEntryMax bounds an entry's side, so a damaged header cannot ask for
// an absurd allocation.
const diskEntryMax = 1 << 14

// imagePreparation names how the loader turns a file into its prepared
// form; entries made another way (before JPEGs were decoded at reduced
// scale, or by the first scaled inverse DCT, which rounded differently) are
// other keys, left to eviction. Each JPEG decoder (JPEGDecoder.Name) has
// its own keys.
const imagePreparation = "jpeg-scaled-2-"

// key names the prepared form of the image at path.
func (c *DiskCache) key(path string, size int, augmenting bool, scale float64, decoder JPEGDecoder) (string, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	fi, err := os.Stat(abs)
	if err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%d\x00%d\x00%d\x00%t\x00%g", diskCacheMagic, imagePreparation+decoder.Name(), abs, fi.Size(), fi.ModTime().UnixNano(), size, augmenting, scale))
	return hex.EncodeToString(h[:16]), true
}

func (c *DiskCache) entryPath(key string) string {
	return filepath.Join(c.Dir, key[:2], key+".rgb")
}

// load returns the entry's image, or nil when there is none that reads
// back whole.
func (c *DiskCache) load(key string) *image.NRGBA {
	p := c.entryPath(key)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	img, err := decodeEntry(data)
	if err != nil {
		os.Remove(p) // torn or foreign: it would only miss again
		return nil
	}
	now := time.Now()
	os.Chtimes(p, now, now) // recently used
	return img
}

// decodeEntry reads an entry: the magic, width and height (uint32, little
// endian), then width·height RGB triples.
func decodeEntry(data []byte) (*image.NRGBA, error) {
	const head = len(diskCacheMagic) + 8
	if len(data) < head || string(data[:len(diskCacheMagic)]) != diskCacheMagic {
		return nil, errors.New("not an image cache entry")
	}
	w := int(binary.LittleEndian.Uint32(data[len(diskCacheMagic):]))
	h := int(binary.LittleEndian.Uint32(data[len(diskCacheMagic)+4:]))
	if w < 1 || h < 1 || w > diskEntryMax || h > diskEntryMax || len(data) != head+3*w*h {
		return nil, fmt.Errorf("image cache entry of %d bytes for %d×%d", len(data), w, h)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	src := data[head:]
	for i, j := 0, 0; i < len(img.Pix); i, j = i+4, j+3 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = src[j], src[j+1], src[j+2], 255
	}
	return img, nil
}

// store writes img (opaque: its alpha is not kept) under key, then evicts
// if the folder has grown past its limit.
func (c *DiskCache) store(key string, img *image.NRGBA) error {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w < 1 || h < 1 || w > diskEntryMax || h > diskEntryMax {
		return nil
	}
	data := make([]byte, len(diskCacheMagic)+8, len(diskCacheMagic)+8+3*w*h)
	copy(data, diskCacheMagic)
	binary.LittleEndian.PutUint32(data[len(diskCacheMagic):], uint32(w))
	binary.LittleEndian.PutUint32(data[len(diskCacheMagic)+4:], uint32(h))
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := 0; x < 4*w; x += 4 {
			if row[x+3] != 255 {
				return nil // not opaque: an entry would not give it back
			}
			data = append(data, row[x], row[x+1], row[x+2])
		}
	}
	p := c.entryPath(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	// No fsync: a lost entry is a miss, and a torn one is detected.
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	c.grow(int64(len(data)))
	return nil
}

func (c *DiskCache) limit() int64 {
	if c.Limit > 0 {
		return c.Limit
	}
	return DefaultDiskCacheBytes
}

// grow counts n more bytes and evicts the least recently used entries
// down to 80 % of the limit when the folder is over it.
func (c *DiskCache) grow(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.scanned {
		c.size, _ = c.scan()
		c.scanned = true
	} else {
		c.size += n
	}
	if c.size <= c.limit() {
		return
	}
	var entries []cacheEntry
	c.size, entries = c.scan()
	sort.Slice(entries, func(i, j int) bool { return entries[i].used.Before(entries[j].used) })
	for _, e := range entries {
		if c.size <= c.limit()*8/10 {
			break
		}
		if os.Remove(e.path) == nil {
			c.size -= e.bytes
		}
	}
}

type cacheEntry struct {
	path  string
	bytes int64
	used  time.Time
}

// scan sums the entries' bytes (other processes may have added some) and
// lists them.
func (c *DiskCache) scan() (int64, []cacheEntry) {
	var total int64
	var list []cacheEntry
	filepath.WalkDir(c.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".rgb" {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		total += fi.Size()
		list = append(list, cacheEntry{path: p, bytes: fi.Size(), used: fi.ModTime()})
		return nil
	})
	return total, list
}
