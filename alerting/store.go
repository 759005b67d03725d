package alerting

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Store keeps alert state, the notification log and API silences in a bbolt file, so that a
// restart — a kill -9 included — neither re-sends what was sent nor forgets what is firing.
// Every write is a committed (fsynced) transaction.
type Store struct {
	db *bolt.DB
}

var (
	bucketSeries   = []byte("series")   // pending/firing series by series id
	bucketResolved = []byte("resolved") // resolved alerts not yet notified, by fingerprint@start
	bucketNflog    = []byte("nflog")    // notification log by receiver + group key
	bucketSilences = []byte("silences") // API silences by id
)

// OpenStore opens (creating) the state file. A second vigia on the same file fails after a
// second instead of waiting forever for the lock.
func OpenStore(path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("alert state directory: %w", err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open alert state %s: locked by another process (is another vigia running with the same state_dir?)", path)
		}
		return nil, fmt.Errorf("open alert state %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSeries, bucketResolved, bucketNflog, bucketSilences} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("initialise alert state %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close releases the file.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	return s.db.Close()
}

// storedSeries is a pending or firing series as persisted.
type storedSeries struct {
	Rule     string `json:"rule"`
	Identity string `json:"identity"`
	Instance string `json:"instance"`
	Probe    string `json:"probe"`
	Item     string `json:"item,omitempty"`
	Alert    Alert  `json:"alert"`
}

// nflogEntry is what one receiver was last told about one group. Alert ids are
// fingerprint@start, so an alert that resolves and fires again is news even though its labels
// are the same.
type nflogEntry struct {
	Firing   []string  `json:"firing"`
	Resolved []string  `json:"resolved,omitempty"`
	SentAt   time.Time `json:"sent_at"`
}

// storeOp is one write of a dispatch pass.
type storeOp struct {
	bucket []byte
	key    string
	value  any // nil deletes
}

func (s *Store) apply(ops []storeOp) error {
	if s == nil || len(ops) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, op := range ops {
			b := tx.Bucket(op.bucket)
			if op.value == nil {
				if err := b.Delete([]byte(op.key)); err != nil {
					return err
				}
				continue
			}
			v, err := json.Marshal(op.value)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(op.key), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// put writes one value in its own transaction; concurrent callers share a commit.
func (s *Store) put(bucket []byte, key string, value any) error {
	if s == nil {
		return nil
	}
	v, err := json.Marshal(value)
	if err != nil {
		return err
	}
	return s.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(key), v) })
}

// each decodes every value of a bucket; a record that no longer decodes is skipped and
// reported, rather than making the whole state unreadable.
func each[T any](s *Store, bucket []byte, fn func(key string, v T)) (bad int, err error) {
	if s == nil {
		return 0, nil
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			var x T
			if json.Unmarshal(v, &x) != nil {
				bad++
				return nil
			}
			fn(string(k), x)
			return nil
		})
	})
	return bad, err
}
