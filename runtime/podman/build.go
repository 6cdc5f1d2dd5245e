//go:build remote

package podman

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/containers/podman/v5/pkg/bindings/containers"
	"github.com/containers/podman/v5/pkg/bindings/images"
	"github.com/containers/podman/v5/pkg/domain/entities"

	"github.com/quadlaunch/quadlaunch/pups"
	"github.com/quadlaunch/quadlaunch/runtime/pass"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
	"github.com/quadlaunch/quadlaunch/units"
)

// Build runs the plan's steps on its base image, one committed layer per step, and
// tags the result localhost/quadlaunch/APP:<version>. It does not move current:
// see Promote. On any error or cancellation the work container is removed and no
// version tag exists.
func (Bindings) Build(ctx context.Context, p *pass.Plan, opt BuildOptions) (res *BuildResult, err error) {
	out := opt.Out
	if out == nil {
		out = io.Discard
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	if p.Refused() != nil {
		return nil, p.Refused()
	}
	if opt.Pull {
		// A newer base (security updates) is a new parent: every step runs again.
		fmt.Fprintf(out, "pulling %s (--pull)\n", p.BaseImage)
		// "always": "newer" quietly keeps the local image when the registry
		// cannot be asked, and a --pull that did not pull must say so.
		quiet, policy := true, "always"
		if _, err := images.Pull(ctx, p.BaseImage, &images.PullOptions{Quiet: &quiet, Policy: &policy}); err != nil {
			return nil, fmt.Errorf("pull base_image %s: %w (nothing was built; current is unchanged)", p.BaseImage, err)
		}
	}
	baseID, pulled, err := ensureImage(ctx, p.BaseImage)
	if err != nil {
		return nil, err
	}
	base, err := images.GetImage(ctx, baseID, nil)
	if err != nil {
		return nil, fmt.Errorf("inspect base image %s: %w", p.BaseImage, err)
	}
	baseDigest, err := baseImageDigest(ctx, p, base, pulled || opt.Pull)
	if err != nil {
		return nil, err
	}
	var baseEntrypoint, baseCmd []string
	if base.Config != nil {
		baseEntrypoint, baseCmd = base.Config.Entrypoint, base.Config.Cmd
	}
	restore := []string{"ENTRYPOINT " + jsonArray(baseEntrypoint), "CMD " + jsonArray(baseCmd)}

	// Secrets the build's exec steps use reach them as the work container's
	// env secrets (PlanPhase): in Podman's 0600 secret store, never in the
	// image config, history, labels, cache keys or this output.
	if err := storeSecrets(ctx, p.BuildSecrets()); err != nil {
		return nil, err
	}
	b := &builder{plan: p, out: out, secrets: pass.Env{Secrets: p.BuildSecrets()}.EnvSecretRefs()}
	defer b.close(ctx)

	parent := baseID
	res = &BuildResult{Steps: len(p.Steps)}
	n := len(p.Steps)
	for i, st := range p.Steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		key := pass.CacheKey(parent, st, p.EnvDigest)
		if !opt.NoCache {
			hit, err := findImageByLabel(ctx, versions.LabelCacheKey, key)
			if err != nil {
				return nil, err
			}
			if hit != "" {
				fmt.Fprintf(out, "[%d/%d] %s (cached)\n", i+1, n, st.Summary)
				parent = hit
				res.Cached++
				continue
			}
		}
		fmt.Fprintf(out, "[%d/%d] %s\n", i+1, n, st.Summary)
		start := time.Now()
		if err := b.ensureContainer(ctx, parent); err != nil {
			return nil, err
		}
		if err := b.runner.Run(ctx, st.Step); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("step %d/%d (%s): %w", i+1, n, st.Summary, err)
		}
		// Each step is a layer of its own, and the next one may come from the
		// cache into a fresh container: the step's background processes end
		// here, as pups ends them at the end of its run, before the commit.
		if err := b.runner.StopBackground(ctx); err != nil {
			return nil, fmt.Errorf("step %d/%d (%s): stop background processes: %w", i+1, n, st.Summary, err)
		}
		id, err := b.commit(ctx, append(restore, "LABEL "+versions.LabelCacheKey+"="+key), "", "")
		if err != nil {
			return nil, err
		}
		parent, b.at = id, id
		fmt.Fprintf(out, "      -> %s (%.1fs)\n", shortID(id), time.Since(start).Seconds())
	}

	boot := restore
	if p.BootCommand != nil {
		boot = []string{restore[0], "CMD " + jsonArray(p.BootCommand)}
	}
	final := pass.FinalKey(parent, p.BootCommand, p.ConfigDigest)
	if !opt.NoCache {
		if v, id, err := findVersion(ctx, p.App, final); err != nil {
			return nil, err
		} else if v != "" {
			fmt.Fprintf(out, "config unchanged: version %s (%s)\n", v, shortID(id))
			res.Version, res.ImageID, res.Reused = v, id, true
			return res, nil
		}
	}
	version, err := newVersion(ctx, p.App, now())
	if err != nil {
		return nil, err
	}
	if b.container == "" || b.at != parent {
		// Nothing ran: the final commit only changes config, so the container need
		// not start (the base may have no shell at all).
		removeContainer(ctx, b.container)
		id, err := createWorkContainer(ctx, workSpec{Image: parent, Name: fmt.Sprintf("quadlaunch-build-%s-%d", p.App, time.Now().UnixNano())})
		if err != nil {
			return nil, err
		}
		b.container, b.at = id, parent
	}
	changes := append(boot,
		"LABEL "+versions.LabelApp+"="+p.App,
		"LABEL "+versions.LabelVersion+"="+version,
		"LABEL "+versions.LabelCreated+"="+now().UTC().Format(time.RFC3339),
		"LABEL "+versions.LabelConfigDigest+"="+p.ConfigDigest,
		"LABEL "+versions.LabelTool+"="+opt.ToolVersion,
		"LABEL "+versions.LabelFinalKey+"="+final,
		"LABEL "+versions.LabelBaseDigest+"="+baseDigest,
	)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id, err := b.commit(ctx, changes, units.ImageRepo(p.App), version)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		// Cancelled while committing: take the tag back so no partial version remains.
		_ = untagImage(context.WithoutCancel(ctx), p.App, version)
		return nil, ctx.Err()
	}
	fmt.Fprintf(out, "built %s (%s)\n", units.ImageRef(p.App, version), shortID(id))
	res.Version, res.ImageID = version, id
	return res, nil
}

// builder holds the one work container a build uses: consecutive uncached steps
// run in the same container, committing after each.
type builder struct {
	plan      *pass.Plan
	out       io.Writer
	secrets   map[string]string // env secrets of the work container (target variable -> Podman secret)
	container string
	at        string // image ID the container's filesystem currently equals
	runner    *pups.Runner
}

// close stops what the steps left running, then removes the work container.
func (b *builder) close(ctx context.Context) {
	if b.runner != nil {
		_ = b.runner.StopBackground(ctx)
	}
	removeContainer(ctx, b.container)
}

func (b *builder) ensureContainer(ctx context.Context, image string) error {
	if b.container != "" && b.at == image {
		return nil
	}
	b.close(ctx)
	b.container, b.runner = "", nil
	// The container itself gets no env: commit copies container env into the image.
	// Env secrets are not copied (commit takes the env Podman stored at create).
	id, err := startWorkContainer(ctx, workSpec{Image: image, Name: fmt.Sprintf("quadlaunch-build-%s-%d", b.plan.App, time.Now().UnixNano()),
		EnvSecrets: b.secrets})
	if err != nil {
		return err
	}
	b.container, b.at = id, image
	b.runner = newStepRunner(id, b.plan.Env, b.out)
	return nil
}

func (b *builder) commit(ctx context.Context, changes []string, repo, tag string) (string, error) {
	pause := true
	opts := &containers.CommitOptions{Changes: changes, Pause: &pause}
	if repo != "" {
		opts.Repo, opts.Tag = &repo, &tag
	}
	resp, err := containers.Commit(ctx, b.container, opts)
	if err != nil {
		return "", fmt.Errorf("commit: %w", err)
	}
	return resp.ID, nil
}

// findVersion finds the version image built from exactly this final key.
// PreviewBuild follows Build's cache lookups without building: the first
// step that misses runs, and so does every step after it (its parent is new).
func (Bindings) PreviewBuild(ctx context.Context, p *pass.Plan) (*BuildPreview, error) {
	if p.Refused() != nil {
		return nil, p.Refused()
	}
	res := &BuildPreview{Cached: make([]bool, len(p.Steps))}
	parent, err := imageID(ctx, p.BaseImage)
	if err != nil || parent == "" {
		return res, err
	}
	res.BasePresent = true
	for i, st := range p.Steps {
		hit, err := findImageByLabel(ctx, versions.LabelCacheKey, pass.CacheKey(parent, st, p.EnvDigest))
		if err != nil {
			return nil, err
		}
		if hit == "" {
			return res, nil
		}
		res.Cached[i], parent = true, hit
	}
	v, _, err := findVersion(ctx, p.App, pass.FinalKey(parent, p.BootCommand, p.ConfigDigest))
	res.Reuses = v
	return res, err
}

func findVersion(ctx context.Context, app, final string) (string, string, error) {
	return findVersionWhere(ctx, app, func(labels map[string]string) bool { return labels[versions.LabelFinalKey] == final })
}

// findVersionWhere is the version of app (and its image) whose labels
// match, among the images that still carry their version tag.
func findVersionWhere(ctx context.Context, app string, match func(labels map[string]string) bool) (string, string, error) {
	list, err := listAppImages(ctx, app)
	if err != nil {
		return "", "", err
	}
	for _, im := range list {
		if !match(im.Labels) {
			continue
		}
		v := im.Labels[versions.LabelVersion]
		for _, t := range im.RepoTags {
			if t == units.ImageRef(app, v) {
				return v, im.ID, nil
			}
		}
	}
	return "", "", nil
}

// baseImageDigest is the digest versions record for the plan's base: the
// registry's when this build pulled it, else the one an earlier version
// recorded for the same image, else what Podman calls its digest.
func baseImageDigest(ctx context.Context, p *pass.Plan, base *entities.ImageInspectReport, pulled bool) (string, error) {
	if pulled {
		return pulledDigest(ctx, p.BaseImage, RegistryOptions{TLSVerify: true}, base), nil
	}
	d, err := recordedBaseDigest(ctx, p.App, base)
	if err != nil || d != "" {
		return d, err
	}
	return registryDigest(p.BaseImage, base), nil
}

// newVersion picks a sortable version id from the time, unused for this app.
func newVersion(ctx context.Context, app string, t time.Time) (string, error) {
	base := versions.VersionID(t)
	for i := 1; ; i++ {
		v := base
		if i > 1 {
			v = fmt.Sprintf("%s-%d", base, i)
		}
		id, err := imageID(ctx, units.ImageRef(app, v))
		if err != nil {
			return "", err
		}
		if id == "" {
			return v, nil
		}
	}
}

func jsonArray(a []string) string {
	if a == nil {
		a = []string{}
	}
	b, _ := json.Marshal(a)
	return string(b)
}
