package preview

import (
	"fmt"
	"io"
	"strings"
)

// NotRenderedError is RenderApp's answer for an app the generator writes no
// unit for: its config has errors (Errors, in the generator's words).
type NotRenderedError struct {
	App    string
	Errors []string
}

func (e *NotRenderedError) Error() string {
	return fmt.Sprintf("app %s has errors: the generator writes no unit for it:\n%s", e.App, strings.Join(e.Errors, "\n"))
}

// RenderApp is Render for the app `render` names: an app with errors is a
// *NotRenderedError, a name no loaded config has an error saying so.
func (l *Loaded) RenderApp(name string) (files []RenderedFile, messages string, err error) {
	if l.Failed[name] {
		return nil, "", &NotRenderedError{App: name, Errors: l.Errors}
	}
	if l.App(name) == nil {
		return nil, "", fmt.Errorf("no config for app %q", name)
	}
	return l.Render(name)
}

// WriteFiles prints files as `render` shows them: each under a "# title"
// line, a symlink as "# name -> target", a blank line after each.
func WriteFiles(w io.Writer, files []RenderedFile) error {
	for _, f := range files {
		var err error
		switch {
		case f.Symlink:
			_, err = fmt.Fprintf(w, "# %s -> %s\n\n", f.Title, f.Content)
		case len(f.Content) > 0 && f.Content[len(f.Content)-1] != '\n':
			_, err = fmt.Fprintf(w, "# %s\n%s\n\n", f.Title, f.Content)
		default:
			_, err = fmt.Fprintf(w, "# %s\n%s\n", f.Title, f.Content)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// WriteReport prints what `validate` says of the loaded apps: warnings and
// errors on errs, "APP: ok (path)" on out for each app without an error. It
// returns the number of errors.
func (l *Loaded) WriteReport(out, errs io.Writer) int {
	for _, p := range l.Warnings {
		fmt.Fprintln(errs, "warning:", p)
	}
	for _, p := range l.Errors {
		fmt.Fprintln(errs, "error:", p)
	}
	for _, a := range l.Apps {
		if !l.Failed[a.Name] {
			fmt.Fprintf(out, "%s: ok (%s)\n", a.Name, a.ConfigPath)
		}
	}
	return len(l.Errors)
}
