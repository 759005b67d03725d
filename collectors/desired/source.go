package desired

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// maxValuesFileSize guards memory: a per-instance values file is a few KiB; anything above this is
// not one.
const maxValuesFileSize = 4 << 20

// valuesFile is one matched file: its content, or why it could not be read.
type valuesFile struct {
	path string // slash-separated, relative to the repository root
	data []byte
	err  error
}

// snapshotSource yields the matched values files of one revision.
type snapshotSource interface {
	// read returns the files matching g, sorted by path, and the revision they belong to.
	// unchanged is true when the revision is the same as the last one read successfully, so the
	// caller may keep its parsed state.
	read(ctx context.Context, g glob) (files []valuesFile, revision string, unchanged bool, err error)
	// close releases what read holds open; a later read opens it again.
	close() error
}

// dirSource reads a plain directory or a git work tree as is, uncommitted changes included.
type dirSource struct{ root string }

func (dirSource) close() error { return nil }

func (d dirSource) read(ctx context.Context, g glob) ([]valuesFile, string, bool, error) {
	st, err := os.Stat(d.root)
	if err != nil {
		return nil, "", false, fmt.Errorf("desired state directory: %w", err)
	}
	if !st.IsDir() {
		return nil, "", false, fmt.Errorf("desired state path %s is not a directory", d.root)
	}
	start := filepath.Join(d.root, filepath.FromSlash(g.base))
	var files []valuesFile
	err = filepath.WalkDir(start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == start && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e.IsDir() {
			if e.Name() == ".git" {
				return fs.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !g.match(rel) {
			return nil
		}
		data, err := readLimited(p)
		files = append(files, valuesFile{path: rel, data: data, err: err})
		return nil
	})
	if err != nil {
		return nil, "", false, fmt.Errorf("reading desired state directory %s: %w", d.root, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, headRevision(d.root), false, nil
}

func readLimited(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxValuesFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxValuesFileSize {
		return nil, fmt.Errorf("larger than %d bytes", maxValuesFileSize)
	}
	return data, nil
}

// headRevision is the commit a git work tree is on, or "" for a plain directory.
func headRevision(dir string) string {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return ""
	}
	h, err := r.Head()
	if err != nil {
		return ""
	}
	return h.Hash().String()
}

// defaultMaxPacks is how many fetched packs the clone may hold before it is rebuilt.
const defaultMaxPacks = 32

// localRef is where the fetched commit is kept in the cache clone, whatever the remote ref is.
const localRef = plumbing.ReferenceName("refs/vigia/desired")

// gitSource keeps a bare, shallow clone of a remote repository and reads values files from the
// commit the configured ref points at.
type gitSource struct {
	url        string // without userinfo: safe to show
	auth       transport.AuthMethod
	root       string // cache root; "" until open creates a temporary one
	rootIsTemp bool
	ref        string
	refIsAuto  bool // the ref was defaulted to main, so master is an acceptable fallback
	maxPacks   int

	repo       *git.Repository
	storage    *filesystem.Storage
	remoteHash plumbing.Hash // what the remote ref pointed at, as last fetched
	resolved   plumbing.ReferenceName
	revision   string
}

func (g *gitSource) open() error {
	if g.repo != nil {
		return nil
	}
	if g.root == "" {
		// No cache directory configured: a private temporary one, so two processes on one host
		// never write into the same clone. close removes it.
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		base = filepath.Join(base, "vigia", "desired")
		if err := os.MkdirAll(base, 0o750); err != nil {
			return fmt.Errorf("creating desired state cache under %s: %w", base, err)
		}
		if g.root, err = os.MkdirTemp(base, "repo-"); err != nil {
			return fmt.Errorf("creating desired state cache under %s: %w", base, err)
		}
		g.rootIsTemp = true
	}
	dir := g.cloneDir()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("creating desired state cache %s: %w", dir, err)
	}
	// ExclusiveAccess and kept descriptors: without them go-git lists the pack directory and
	// reopens the pack for every object, which made reading 1,000 values files take seconds.
	st := filesystem.NewStorageWithOptions(osfs.New(dir), cache.NewObjectLRUDefault(),
		filesystem.Options{ExclusiveAccess: true, MaxOpenDescriptors: 8})
	r, err := git.Open(st, nil)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		r, err = git.Init(st, nil) // bare: files are read from the commit, never checked out
	}
	if err != nil {
		_ = st.Close()
		return fmt.Errorf("opening desired state cache %s (delete it to clone again): %w", dir, err)
	}
	rem, err := r.Remote("origin")
	if err == nil && (len(rem.Config().URLs) != 1 || rem.Config().URLs[0] != g.url) {
		if err = r.DeleteRemote("origin"); err == nil {
			err = git.ErrRemoteNotFound
		}
	}
	if errors.Is(err, git.ErrRemoteNotFound) {
		_, err = r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{g.url}})
	}
	if err != nil {
		_ = st.Close()
		return fmt.Errorf("desired state cache %s: configuring remote: %w", dir, err)
	}
	g.repo, g.storage = r, st
	return nil
}

// cloneDir is one directory per remote under the cache root, so the root may be shared by
// several remotes and the clone can be deleted and recreated without touching anything else.
func (g *gitSource) cloneDir() string {
	sum := sha256.Sum256([]byte(g.url))
	return filepath.Join(g.root, hex.EncodeToString(sum[:8]))
}

// compact deletes the clone when fetches have piled up packs; the next (shallow) fetch brings
// back only the current tree. This bounds both disk use and object lookup time.
func (g *gitSource) compact() error {
	entries, err := os.ReadDir(filepath.Join(g.cloneDir(), "objects", "pack"))
	if err != nil {
		return nil // nothing fetched yet; compaction is best effort anyway
	}
	packs := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".pack") {
			packs++
		}
	}
	if packs <= g.maxPacks {
		return nil
	}
	if err := g.release(false); err != nil {
		return err
	}
	if err := os.RemoveAll(g.cloneDir()); err != nil {
		return fmt.Errorf("compacting desired state cache %s: %w", g.cloneDir(), err)
	}
	return g.open()
}

func (g *gitSource) close() error { return g.release(true) }

// release closes the clone's file descriptors and, with removeTemp, deletes a temporary cache.
func (g *gitSource) release(removeTemp bool) error {
	var err error
	if g.storage != nil {
		err = g.storage.Close()
	}
	g.repo, g.storage = nil, nil
	g.remoteHash, g.resolved, g.revision = plumbing.ZeroHash, "", ""
	if removeTemp && g.rootIsTemp {
		err = errors.Join(err, os.RemoveAll(g.root))
		g.root, g.rootIsTemp = "", false
	}
	return err
}

// candidates are the remote refs the configured ref may name, in order of preference.
func (g *gitSource) candidates() []plumbing.ReferenceName {
	if strings.HasPrefix(g.ref, "refs/") {
		return []plumbing.ReferenceName{plumbing.ReferenceName(g.ref)}
	}
	c := []plumbing.ReferenceName{plumbing.NewBranchReferenceName(g.ref), plumbing.NewTagReferenceName(g.ref)}
	if g.refIsAuto {
		c = append(c, plumbing.NewBranchReferenceName("master"))
	}
	return c
}

func (g *gitSource) read(ctx context.Context, gl glob) ([]valuesFile, string, bool, error) {
	if err := g.open(); err != nil {
		return nil, "", false, err
	}
	rem, err := g.repo.Remote("origin")
	if err != nil {
		return nil, "", false, fmt.Errorf("desired state cache %s: %w", g.cloneDir(), err)
	}
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: g.auth})
	if err != nil {
		return nil, "", false, g.wrap("listing refs of", err)
	}
	byName := make(map[plumbing.ReferenceName]plumbing.Hash, len(refs))
	for _, r := range refs {
		if r.Type() == plumbing.HashReference {
			byName[r.Name()] = r.Hash()
		}
	}
	var name plumbing.ReferenceName
	var hash plumbing.Hash
	for _, c := range g.candidates() {
		if h, ok := byName[c]; ok {
			name, hash = c, h
			break
		}
	}
	if name == "" {
		return nil, "", false, fmt.Errorf("git %s: ref %q not found (branches: %s): check desired.git.ref", g.url, g.ref, branchList(refs))
	}

	if hash == g.remoteHash && name == g.resolved && g.revision != "" {
		return nil, g.revision, true, nil
	}
	if !g.has(hash) {
		if err := g.compact(); err != nil {
			return nil, "", false, err
		}
		spec := config.RefSpec(fmt.Sprintf("+%s:%s", name, localRef))
		err = g.repo.FetchContext(ctx, &git.FetchOptions{
			RemoteName: "origin",
			RefSpecs:   []config.RefSpec{spec},
			Depth:      1,
			Auth:       g.auth,
			Tags:       git.NoTags,
			Force:      true,
		})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil, "", false, g.wrap(fmt.Sprintf("fetching %s from", name), err)
		}
	} else if err := g.repo.Storer.SetReference(plumbing.NewHashReference(localRef, hash)); err != nil {
		return nil, "", false, fmt.Errorf("desired state cache %s: %w", g.cloneDir(), err)
	}
	commit, err := g.commit(hash)
	if err != nil {
		return nil, "", false, fmt.Errorf("git %s: %s at %s: %w", g.url, name, hash, err)
	}
	files, err := g.files(ctx, commit, gl)
	if err != nil {
		return nil, "", false, fmt.Errorf("git %s: reading %s at %s: %w", g.url, name, commit.Hash, err)
	}
	g.remoteHash, g.resolved, g.revision = hash, name, commit.Hash.String()
	return files, g.revision, false, nil
}

// has reports whether the object is already in the clone: a rollback to a commit fetched before
// needs no network transfer.
func (g *gitSource) has(h plumbing.Hash) bool {
	_, err := g.repo.Object(plumbing.AnyObject, h)
	return err == nil
}

// commit peels annotated tags down to the commit they point at.
func (g *gitSource) commit(h plumbing.Hash) (*object.Commit, error) {
	for range 8 {
		obj, err := g.repo.Object(plumbing.AnyObject, h)
		if err != nil {
			return nil, err
		}
		switch o := obj.(type) {
		case *object.Commit:
			return o, nil
		case *object.Tag:
			h = o.Target
		default:
			return nil, fmt.Errorf("ref points at a %s, not a commit", obj.Type())
		}
	}
	return nil, errors.New("tag chain too long")
}

func (g *gitSource) files(ctx context.Context, c *object.Commit, gl glob) ([]valuesFile, error) {
	tree, err := c.Tree()
	if err != nil {
		return nil, err
	}
	if gl.base != "" {
		tree, err = tree.Tree(gl.base)
		if errors.Is(err, object.ErrDirectoryNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	w := object.NewTreeWalker(tree, true, nil)
	defer w.Close()
	var files []valuesFile
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name, e, err := w.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if !e.Mode.IsFile() || e.Mode == filemode.Symlink {
			continue
		}
		rel := name
		if gl.base != "" {
			rel = gl.base + "/" + name
		}
		if !gl.match(rel) {
			continue
		}
		files = append(files, g.blob(rel, e.Hash))
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, nil
}

func (g *gitSource) blob(rel string, h plumbing.Hash) valuesFile {
	b, err := g.repo.BlobObject(h)
	if err != nil {
		return valuesFile{path: rel, err: err}
	}
	if b.Size > maxValuesFileSize {
		return valuesFile{path: rel, err: fmt.Errorf("larger than %d bytes", maxValuesFileSize)}
	}
	r, err := b.Reader()
	if err != nil {
		return valuesFile{path: rel, err: err}
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	return valuesFile{path: rel, data: data, err: err}
}

// wrap turns transport errors into messages that say what to check. The URL never carries
// credentials (they were moved into auth), so it is safe to show.
func (g *gitSource) wrap(what string, err error) error {
	hint := ""
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		hint = " (check desired.git auth: username/token or SSH key)"
	case errors.Is(err, transport.ErrRepositoryNotFound):
		hint = " (check desired.git.url, or the credentials' access to it)"
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		hint = " (the repository has no commits yet)"
	}
	return fmt.Errorf("git: %s %s: %w%s", what, g.url, err, hint)
}

func branchList(refs []*plumbing.Reference) string {
	var names []string
	for _, r := range refs {
		if r.Name().IsBranch() {
			names = append(names, r.Name().Short())
		}
	}
	sort.Strings(names)
	if len(names) > 10 {
		names = append(names[:10], "...")
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
