package versions

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// ShortDigest is a digest as tables and messages show it: the algorithm and
// 12 hex digits.
func ShortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// WriteTable writes vs as `quadlaunch versions` prints them: one line each,
// short image IDs and config digests, and the tags that hold a version.
func WriteTable(w io.Writer, vs []Version) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tIMAGE\tCREATED\tCONFIG\tBASE\tTAGS")
	for _, v := range vs {
		tags := ""
		if v.Current {
			tags += "current "
		}
		if v.Previous {
			tags += "previous "
		}
		if v.InUse {
			tags += "in-use"
		}
		digest := ShortDigest(v.ConfigDigest)
		if digest == "" {
			digest = "-"
		}
		id := v.ImageID
		if len(id) > 12 {
			id = id[:12]
		}
		base := ShortDigest(v.BaseDigest)
		if base == "" {
			base = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Version, id, v.Created, digest, base, tags)
	}
	return tw.Flush()
}
